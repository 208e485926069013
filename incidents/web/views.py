"""Server-rendered pages. Reads go through selectors (and incidents.metrics), writes
through incidents.services; a domain error becomes a message on the page."""

import csv
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from config.errors import DomainError, NotFound
from incidents import metrics, selectors, services
from incidents.api.filters import IncidentFilter
from incidents.models import IncidentStatus
from incidents.services import ALLOWED_TRANSITIONS
from incidents.web import charts, sections
from incidents.web.forms import (
    DeclareForm,
    EditForm,
    MessageForm,
    MetricsForm,
    NoteForm,
    ResolveForm,
    StatusForm,
)
from oncall.selectors import team_list, team_membership_list

PAGE_SIZE = 50


def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    return render(
        request,
        "home.html",
        {
            "teams": list(team_list(user=user)),
            "open_by_severity": selectors.incident_open_counts_by_severity(user=user),
            "open_incidents": list(selectors.incident_open_list(user=user)[:20]),
            "pending_acks": list(selectors.incident_pending_acknowledgement_list(user=user)[:20]),
            "sections": sections.render_sections("home", request),
        },
    )


def incident_list(request: HttpRequest) -> HttpResponse:
    params = request.GET.copy()
    if "open" not in params and not params.get("status"):
        params["open"] = "true"  # open incidents unless asked otherwise
    filterset = IncidentFilter(params, queryset=selectors.incident_list(user=request.user))
    page = Paginator(filterset.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    query = params.copy()
    query.pop("page", None)
    return render(
        request,
        "incidents/list.html",
        {
            "filter": filterset,
            "page": page,
            "teams": list(team_list(user=request.user)),
            "severities": list(selectors.severity_list()),
            "statuses": IncidentStatus.choices,
            "params": params,
            "query": query.urlencode(),
        },
    )


@require_http_methods(["GET", "POST"])
def incident_declare(request: HttpRequest) -> HttpResponse:
    form = DeclareForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            incident = services.incident_create(
                actor=request.user, source="web", **form.cleaned_data
            )
        except DomainError as error:
            _form_errors(form, error)
        else:
            messages.success(request, f"{incident.reference} declared.")
            return redirect("incident-detail", incident_id=incident.pk)
    return render(request, "incidents/declare.html", {"form": form})


def _form_errors(form, error: DomainError) -> None:
    form.add_error(None, error.detail)
    for field, errors in error.errors.items():
        for message in errors:
            form.add_error(field if field in form.fields else None, message)


def _incident_or_404(request: HttpRequest, incident_id: Any):
    try:
        return selectors.incident_get(user=request.user, incident_id=incident_id)
    except NotFound as error:
        raise Http404(error.detail) from None


def _detail_context(request: HttpRequest, incident_id: Any) -> dict[str, Any]:
    incident = _incident_or_404(request, incident_id)
    auto_refresh = incident.is_open and incident.severity.level == 1
    return {
        "incident": incident,
        "timeline": list(selectors.incident_timeline(incident=incident)),
        "next_statuses": [
            (value, label)
            for value, label in IncidentStatus.choices
            if value in ALLOWED_TRANSITIONS[incident.status] and value != IncidentStatus.RESOLVED
        ],
        "resolve_form": ResolveForm(),
        "note_form": NoteForm(),
        "auto_refresh_seconds": settings.INCIDENT_PAGE_REFRESH_SECONDS if auto_refresh else None,
        "sections": sections.render_sections("incident_detail", request, incident=incident),
        "severities": list(selectors.severity_list()),
        "members": [m.user for m in team_membership_list(team=incident.team)],
        "roles": [
            ("commander", "Commander", incident.commander_id),
            ("scribe", "Scribe", incident.scribe_id),
            ("communications_lead", "Communications", incident.communications_lead_id),
        ],
    }


def incident_detail(request: HttpRequest, incident_id: int) -> HttpResponse:
    context = _detail_context(request, incident_id)
    if request.headers.get("HX-Request"):
        return render(request, "incidents/_panel.html", context)
    return render(request, "incidents/detail.html", context)


ACTIONS = {"acknowledge", "status", "resolve", "reopen", "note", "edit"}


@require_POST
def incident_action(request: HttpRequest, incident_id: int, action: str) -> HttpResponse:
    incident = _incident_or_404(request, incident_id)
    form_class = {"status": StatusForm, "resolve": ResolveForm, "note": NoteForm}.get(
        action, MessageForm
    )
    if action == "edit":
        form = EditForm(request.POST, incident=incident)
    else:
        form = form_class(request.POST)
    if action not in ACTIONS:
        messages.error(request, "Unknown action.")
    elif not form.is_valid():
        messages.error(request, "; ".join(e for errs in form.errors.values() for e in errs))
    else:
        data = form.cleaned_data
        try:
            if action == "acknowledge":
                services.incident_acknowledge(
                    incident=incident, actor=request.user, message=data["message"]
                )
            elif action == "status":
                services.incident_set_status(
                    incident=incident,
                    actor=request.user,
                    to_status=data["status"],
                    message=data["message"],
                )
            elif action == "resolve":
                services.incident_resolve(
                    incident=incident,
                    actor=request.user,
                    message=data["message"],
                    resolution=data["resolution"],
                )
            elif action == "edit":
                services.incident_update(incident=incident, actor=request.user, **data)
            elif action == "reopen":
                services.incident_reopen(
                    incident=incident, actor=request.user, message=data["message"]
                )
            else:
                services.incident_add_note(
                    incident=incident, actor=request.user, message=data["message"]
                )
        except DomainError as error:
            messages.error(request, error.detail)
    if request.headers.get("HX-Request"):
        return render(request, "incidents/_panel.html", _detail_context(request, incident_id))
    return redirect("incident-detail", incident_id=incident_id)


def metrics_page(request: HttpRequest) -> HttpResponse:
    form = MetricsForm(request.GET or None, user=request.user)
    figures = None
    error = None
    if form.is_valid() or not request.GET:
        data = form.cleaned_data if request.GET else {}
        try:
            scope = metrics.metrics_scope_for(
                user=request.user,
                team=data.get("team") or None,
                since=data["since"].isoformat() if data.get("since") else None,
                until=data["until"].isoformat() if data.get("until") else None,
                severity=data.get("severity") or None,
            )
            figures = metrics.incident_metrics(scope)
        except DomainError as exc:
            error = exc.detail + "".join(
                f" {field}: {' '.join(msgs)}" for field, msgs in exc.errors.items()
            )
    if figures is not None and request.GET.get("format") == "csv":
        return _metrics_csv(figures)
    context: dict[str, Any] = {"form": form, "figures": figures, "error": error}
    if figures is not None:
        context["weekly_chart"] = charts.stacked_weekly_counts(figures)
        context["mttx_chart"] = charts.weekly_mtta_mttr(figures)
        query = request.GET.copy()
        query["format"] = "csv"
        context["csv_url"] = reverse("metrics-page") + "?" + query.urlencode()
    return render(request, "metrics/page.html", context)


def _metrics_csv(figures: dict[str, Any]) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="tocsin-metrics.csv"'
    writer = csv.writer(response)
    severities = list(figures["by_severity"])
    writer.writerow(
        [
            "group",
            "incident_count",
            "mtta_mean_s",
            "mtta_p50_s",
            "mtta_p90_s",
            "mttr_mean_s",
            "mttr_p50_s",
            "mttr_p90_s",
            "ack_within_target_ratio",
            "resolve_within_target_ratio",
            "false_positive_rate",
            *[f"count_{name}" for name in severities],
        ]
    )

    def row(label: str, entry: dict[str, Any], counts: list[Any]) -> list[Any]:
        return [
            label,
            entry["incident_count"],
            *(_csv_number(entry["mtta_seconds"][k]) for k in ("mean", "p50", "p90")),
            *(_csv_number(entry["mttr_seconds"][k]) for k in ("mean", "p50", "p90")),
            _csv_number(entry["ack_within_target_ratio"]),
            _csv_number(entry["resolve_within_target_ratio"]),
            _csv_number(entry["false_positive_rate"]),
            *counts,
        ]

    writer.writerow(
        row("all", figures, [figures["by_severity"][s]["incident_count"] for s in severities])
    )
    for name, entry in figures["by_severity"].items():
        writer.writerow(
            row(name, entry, [entry["incident_count"] if s == name else 0 for s in severities])
        )
    for week in figures["by_week"]:
        writer.writerow(
            row(
                f"week {week['week_start']}",
                week,
                [week["incident_count_by_severity"][s] for s in severities],
            )
        )
    return response


def _csv_number(value: Any) -> str:
    if value is None:
        return ""
    return f"{value:.6g}" if isinstance(value, float) else str(value)
