"""Server-rendered pages of the core: home, the incident list, declaring, an incident's
page and its actions. Reads go through selectors, writes through incidents.services; a
domain error becomes a message on the page. Rooms add sections (``web/sections.py``)."""

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from common.errors import DomainError, NotFound
from common.graphs import chart_context, svg_render, svg_response
from incidents import selectors, services
from incidents.api.filters import IncidentFilter
from incidents.flowcharts import lifecycle_flowchart, lifecycle_outline, lifecycle_title
from incidents.models import IncidentStatus, Resolution
from incidents.services import ALLOWED_TRANSITIONS
from incidents.web import sections
from incidents.web.forms import (
    DeclareForm,
    EditForm,
    MessageForm,
    NoteForm,
    ResolveForm,
    StatusForm,
)
from oncall.teams.selectors import team_list, team_membership_list

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
    # An empty choice in the filter form means "any": not a value to validate.
    for name in [k for k in params if k != "open" and not any(params.getlist(k))]:
        del params[name]
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
    form = DeclareForm(
        request.POST or None, user=request.user, initial_team=request.GET.get("team")
    )
    if request.method == "POST" and form.is_valid():
        try:
            incident = services.incident_create(
                actor=request.user, source="web", **form.cleaned_data
            )
        except DomainError as error:
            _form_errors(form, error)
        else:
            messages.success(request, f"{incident.reference} declared.")
            return redirect("web:incident-detail", incident_id=incident.pk)
    return render(request, "incidents/declare.html", {"form": form})


def _form_errors(form, error: DomainError) -> None:
    fields = [name for name in error.errors if name in form.fields]
    if not fields:
        form.add_error(None, error.detail)
    for field, errors in error.errors.items():
        for message in errors:
            form.add_error(field if field in form.fields else None, message)


def _incident_or_404(request: HttpRequest, incident_id: Any):
    try:
        return selectors.incident_get(user=request.user, incident_id=incident_id)
    except NotFound as error:
        raise Http404(error.detail) from None


def _detail_context(
    request: HttpRequest,
    incident_id: Any,
    *,
    refreshing: bool = False,
    status_form: StatusForm | None = None,
) -> dict[str, Any]:
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
        "status_form": status_form or StatusForm(),
        "resolve_form": ResolveForm(),
        "note_form": NoteForm(),
        "auto_refresh_seconds": settings.INCIDENT_PAGE_REFRESH_SECONDS if auto_refresh else None,
        # A refresh keeps what someone is typing in the live region (hx-preserve).
        "refreshing": refreshing,
        "sections": sections.render_sections("incident_detail", request, incident=incident),
        "severities": list(selectors.severity_list()),
        "members": [m.user for m in team_membership_list(team=incident.team)],
        "roles": [
            ("commander", "Commander", incident.commander_id),
            ("scribe", "Scribe", incident.scribe_id),
            ("communications_lead", "Communications", incident.communications_lead_id),
        ],
        "status_labels": dict(IncidentStatus.choices),
        "resolution_labels": dict(Resolution.choices),
    }


def incident_detail(request: HttpRequest, incident_id: int) -> HttpResponse:
    if request.headers.get("HX-Request"):
        # The live region only (the refresh of an open SEV1, or after a change made
        # elsewhere on the page): never the whole page inside itself.
        context = _detail_context(request, incident_id, refreshing=True)
        return render(request, "incidents/_live.html", context)
    context = _detail_context(request, incident_id)
    context["tools"] = sections.render_sections(
        "incident_tools", request, incident=context["incident"]
    )
    context["lifecycle"] = _lifecycle_chart(context["incident"])
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
    done = False
    if action not in ACTIONS:
        messages.error(request, "Unknown action.")
    elif not form.is_valid():
        messages.error(request, " ".join(e for errs in form.errors.values() for e in errs))
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
        else:
            done = True
    if request.headers.get("HX-Request"):
        # A refused status change keeps what was typed, with its error by the field.
        kept = form if action == "status" and not done else None
        response = render(
            request,
            "incidents/_live.html",
            _detail_context(request, incident_id, status_form=kept),
        )
        if done:
            # The form that asked (the note form, outside the live region) empties itself,
            # and the rooms' tools (the status page preview) catch up with the change.
            response["HX-Trigger"] = "incident-saved"
        return response
    return redirect("web:incident-detail", incident_id=incident_id)


def _lifecycle_chart(incident: Any) -> dict[str, Any]:
    return chart_context(
        graph=lifecycle_flowchart(incident.status),
        title=lifecycle_title(incident.get_status_display().lower()),
        outline=lifecycle_outline(incident.status),
        download_url=reverse("web:incident-lifecycle", args=[incident.pk]),
    )


@require_GET
def incident_lifecycle_svg(request: HttpRequest, incident_id: int) -> HttpResponse:
    """The lifecycle flowchart with the incident's status highlighted: the SVG file, or
    (asked by htmx) the figure the incident page refreshes after a change."""
    incident = _incident_or_404(request, incident_id)
    if request.headers.get("HX-Request"):
        return render(
            request,
            "flowcharts/_chart.html",
            {"chart": _lifecycle_chart(incident), "chart_id": "lifecycle-figure"},
        )
    title = lifecycle_title(incident.get_status_display().lower())
    return svg_response(
        lambda: svg_render(lifecycle_flowchart(incident.status), title=title),
        filename=f"incident-{incident.pk}-lifecycle.svg",
    )
