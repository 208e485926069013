"""The operators' Prometheus scrape, in text exposition format 0.0.4: open incidents by
team and severity (one grouped query), and the escalation engine's lag from its
provider."""

from __future__ import annotations

from django.db.models import Count
from django.utils import timezone

from incidents.models import Incident, IncidentStatus
from incidents.reporting.providers import MetricsScope, provided_figure


def open_incident_counts() -> list[tuple[str, str, int]]:
    """(team key, severity name, open incidents) for every team, one grouped query."""
    rows = (
        Incident.objects.exclude(status=IncidentStatus.RESOLVED)
        .filter(is_drill=False)
        .values_list("team__key", "severity__name")
        .annotate(n=Count("id"))
        .order_by("team__key", "severity__name")
    )
    return [(team, severity, n) for team, severity, n in rows]


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def prometheus_text() -> str:
    """The operators' scrape in Prometheus text exposition format 0.0.4."""
    now = timezone.now()
    lines = [
        "# HELP tocsin_open_incidents Incidents not yet resolved, by team and severity.",
        "# TYPE tocsin_open_incidents gauge",
    ]
    for team, severity, n in open_incident_counts():
        lines.append(
            f'tocsin_open_incidents{{team="{_label(team)}",severity="{_label(severity)}"}} {n}'
        )
    scope = MetricsScope(team_ids=None, since=now, until=now, severity=None, now=now)
    lag, reason = provided_figure("escalation_engine_lag_seconds", scope)
    lines.append(
        "# HELP tocsin_escalation_engine_lag_seconds How far the escalation engine is behind"
        + (f" ({reason})." if reason else ".")
    )
    lines.append("# TYPE tocsin_escalation_engine_lag_seconds gauge")
    if lag is not None:
        lines.append(f"tocsin_escalation_engine_lag_seconds {float(lag)}")
    return "\n".join(lines) + "\n"
