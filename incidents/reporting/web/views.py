"""The metrics page (``/metrics/``): the figures of a period, as a table with two inline
SVG charts, or as CSV (``?format=csv``). A bad period or team becomes a message on the
page."""

import csv
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from common.errors import DomainError
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
        context["csv_url"] = reverse("web:metrics-page") + "?" + query.urlencode()
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
