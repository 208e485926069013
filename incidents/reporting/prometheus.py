"""Incident metrics, computed in the database.

One function, :func:`incident_metrics`, answers ``GET /api/v1/metrics/`` and the metrics
page with a fixed number of SQL queries whatever the number of incidents. On PostgreSQL it
is ONE query: the durations are computed once per row and every group (overall, by
severity, by week, by week and severity) is aggregated with ``GROUPING SETS``, the
percentiles with ``percentile_cont``. On other databases (SQLite in development and in
the quick test run) the portable path runs four ORM aggregate queries and one query for
the durations, from which the percentiles are interpolated exactly as ``percentile_cont``
does; a PostgreSQL test checks that both paths give identical figures.

Definitions (see docs/issue-7-web.md):

* The period is ``[since, until)`` on ``triggered_at``; an incident belongs to the period
  and to the ISO week (Monday 00:00 UTC) in which it was triggered.
* MTTA: ``acknowledged_at - triggered_at`` over incidents that were acknowledged.
  MTTR: ``resolved_at - triggered_at`` over incidents that are resolved. A reopened
  incident keeps its first acknowledgement and counts its last resolution.
* ``ack_within_target_ratio``: acknowledged within the severity's ``ack_target`` ÷
  incidents whose outcome is known (acknowledged, or still unacknowledged although the
  target has passed). ``resolve_within_target_ratio`` likewise with ``resolve_target``.
* ``false_positive_rate``: resolved as false positive ÷ resolved.
* ``incidents_per_week``: incident count ÷ the period's length in weeks.

Figures owned by other modules (postmortems, action items, on-call pages) come from
*providers* registered with :func:`register_provider`, typically from the owning app's
``AppConfig.ready``. Until one is registered the figure is ``None`` and the response's
``unavailable`` explains why.
"""

from __future__ import annotations

from django.db.models import (
    Count,
)
from django.utils import timezone

from incidents.models import Incident, IncidentStatus
from incidents.reporting.providers import MetricsScope, provided_figure

# --- Prometheus -------------------------------------------------------------------------


def open_incident_counts() -> list[tuple[str, str, int]]:
    """(team key, severity name, open incidents) for every team, one grouped query."""
    rows = (
        Incident.objects.exclude(status=IncidentStatus.RESOLVED)
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
