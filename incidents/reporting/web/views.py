"""The metrics page (``/metrics/``): the figures of a period, as cards, tables and two
inline SVG charts, or as CSV (``?format=csv``); and the page of metric definitions
(``/metrics/definitions/``). A bad period or team becomes a message on the page."""

import csv
from datetime import datetime
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from common.errors import DomainError, NotFound
from incidents.reporting.scope import metrics_scope_for
from incidents.reporting.selectors import incident_metrics
from incidents.reporting.web import charts
from incidents.reporting.web.forms import MetricsForm


def metrics_page(request: HttpRequest) -> HttpResponse:
    form = MetricsForm(request.GET or None, user=request.user)
    figures = None
    error = None
    if form.is_valid() or not request.GET:
        data = form.cleaned_data if request.GET else {}
        try:
            scope = metrics_scope_for(
                user=request.user,
                team=data.get("team") or None,
                since=data["since"].isoformat() if data.get("since") else None,
                until=data["until"].isoformat() if data.get("until") else None,
                severity=data.get("severity") or None,
            )
            figures = incident_metrics(scope)
        except NotFound:
            error = "That team is not one of yours."
        except DomainError as exc:
            error = _PLAIN_ERRORS.get(exc.detail, exc.detail)
    if figures is not None and request.GET.get("format") == "csv":
        return _metrics_csv(figures)
    context: dict[str, Any] = {"form": form, "figures": figures, "error": error}
    if figures is not None:
        context["weekly_chart"] = charts.stacked_weekly_counts(figures)
        context["mttx_chart"] = charts.weekly_mtta_mttr(figures)
        context["period_since"] = datetime.fromisoformat(figures["period"]["since"])
        context["period_until"] = datetime.fromisoformat(figures["period"]["until"])
        context["load"] = figures.get("pages_per_engineer_per_week")
        context["unavailable"] = [
            (FIGURE_NAMES.get(name, name), reason)
            for name, reason in figures["unavailable"].items()
        ]
        query = request.GET.copy()
        query["format"] = "csv"
        context["csv_url"] = reverse("web:metrics-page") + "?" + query.urlencode()
    return render(request, "metrics/page.html", context)


# What the scope's checks say, in the page's words (its fields are "From" and "To").
_PLAIN_ERRORS = {
    "since must be before until.": "Choose an end date after the start date.",
    "The period is too long.": "The period is too long: at most 520 weeks (about ten years).",
}
# The provided figures, as the page names them.
FIGURE_NAMES = {
    "postmortem_completion_rate": "Postmortems published within their SLA",
    "action_item_completion_rate": "Action items done by their due date",
    "pages_per_engineer_per_week": "Pages per engineer per week",
    "escalation_engine_lag_seconds": "Escalation engine lag",
}


def metric_definitions(request: HttpRequest) -> HttpResponse:
    """How every figure of the metrics page and its CSV is computed."""
    return render(
        request,
        "metrics/definitions.html",
        {"pages_limit": settings.ONCALL_PAGES_PER_WEEK_LIMIT},
    )


# --- CSV ------------------------------------------------------------------------------
# Plain numbers only: no units or thousands separators in a cell, durations in minutes and
# rates in percent (the header says which), an empty cell where there is no data.

CSV_COLUMNS = [
    "Group",
    "Name",
    "Incidents",
    "MTTA mean (minutes)",
    "MTTA p50 (minutes)",
    "MTTA p90 (minutes)",
    "MTTR mean (minutes)",
    "MTTR p50 (minutes)",
    "MTTR p90 (minutes)",
    "Acknowledged within target (%)",
    "Resolved within target (%)",
    "False positives (%)",
]


def _metrics_csv(figures: dict[str, Any]) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="tocsin-metrics.csv"'
    writer = csv.writer(response)
    severities = list(figures["by_severity"])
    writer.writerow([*CSV_COLUMNS, *[f"{name} incidents" for name in severities]])

    def row(group: str, name: str, entry: dict[str, Any], counts: list[Any]) -> list[Any]:
        return [
            group,
            name,
            entry["incident_count"],
            *(_csv_minutes(entry["mtta_seconds"][k]) for k in ("mean", "p50", "p90")),
            *(_csv_minutes(entry["mttr_seconds"][k]) for k in ("mean", "p50", "p90")),
            _csv_percent(entry["ack_within_target_ratio"]),
            _csv_percent(entry["resolve_within_target_ratio"]),
            _csv_percent(entry["false_positive_rate"]),
            *counts,
        ]

    writer.writerow(
        row(
            "All",
            "",
            figures,
            [figures["by_severity"][s]["incident_count"] for s in severities],
        )
    )
    for name, entry in figures["by_severity"].items():
        writer.writerow(
            row(
                "Severity",
                name,
                entry,
                [entry["incident_count"] if s == name else 0 for s in severities],
            )
        )
    for week in figures["by_week"]:
        writer.writerow(
            row(
                "Week starting",
                week["week_start"],
                week,
                [week["incident_count_by_severity"][s] for s in severities],
            )
        )
    return response


def _csv_plain(value: float) -> str:
    """A number as a spreadsheet reads it: at most two decimals, no exponent."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def _csv_minutes(seconds: Any) -> str:
    return "" if seconds is None else _csv_plain(float(seconds) / 60)


def _csv_percent(ratio: Any) -> str:
    return "" if ratio is None else _csv_plain(float(ratio) * 100)
