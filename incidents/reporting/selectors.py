"""Incident metrics, computed in the database.

One function, :func:`incident_metrics`, answers ``GET /api/v1/metrics/`` and the metrics
page with a fixed number of SQL queries whatever the number of incidents. On PostgreSQL it
is ONE query: the durations are computed once per row and every group (overall, by
severity, by week, by week and severity) is aggregated with ``GROUPING SETS``, the
percentiles with ``percentile_cont``. On other databases (SQLite in development and in
the quick test run) the portable path runs four ORM aggregate queries and one query for
the durations, from which the percentiles are interpolated exactly as ``percentile_cont``
does; a PostgreSQL test checks that both paths give identical figures. Callers turn the
request into a :class:`MetricsScope` with :func:`incidents.reporting.scope.metrics_scope_for`.

Definitions (docs/metrics.md has them all):

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

Figures owned by other rooms and apps (postmortems, action items, on-call pages) come
from providers (:mod:`incidents.reporting.providers`); until one is registered the
figure is ``None`` and the response's ``unavailable`` explains why.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.db import connection, transaction
from django.db.models import Avg, Count, F, Q, QuerySet, Value
from django.db.models.fields import DateTimeField
from django.db.models.functions import TruncWeek
from django.db.models.lookups import GreaterThan, LessThanOrEqual
from django.utils import timezone

from incidents.models import Incident, IncidentStatus, Resolution, Severity
from incidents.reporting.formulas import PERCENTILES, WEEK, week_start
from incidents.reporting.providers import MetricsScope, provided_figure
from incidents.reporting.sql import (
    DurationSeconds,
    IntervalSeconds,
    database_has_percentile_cont,
    percentile_cont,
)


def _expressions(now: datetime) -> dict[str, Any]:
    return {
        "mtta": DurationSeconds(F("acknowledged_at"), F("triggered_at")),
        "mttr": DurationSeconds(F("resolved_at"), F("triggered_at")),
        "age": DurationSeconds(Value(now, output_field=DateTimeField()), F("triggered_at")),
        "ack_target": IntervalSeconds(F("severity__ack_target")),
        "resolve_target": IntervalSeconds(F("severity__resolve_target")),
    }


def _aggregates(now: datetime) -> dict[str, Any]:
    e = _expressions(now)
    resolved = Q(status=IncidentStatus.RESOLVED)
    acked = Q(acknowledged_at__isnull=False)
    ack_in_time = Q(LessThanOrEqual(e["mtta"], e["ack_target"]))
    ack_overdue = Q(GreaterThan(e["age"], e["ack_target"]))
    resolve_in_time = Q(LessThanOrEqual(e["mttr"], e["resolve_target"]))
    resolve_overdue = Q(GreaterThan(e["age"], e["resolve_target"]))
    aggregates: dict[str, Any] = {
        "n": Count("id"),
        "mtta_mean": Avg(e["mtta"]),
        "mttr_mean": Avg(e["mttr"], filter=resolved),
        "acked": Count("id", filter=acked),
        "ack_ok": Count("id", filter=acked & ack_in_time),
        "ack_missed_open": Count("id", filter=~acked & ack_overdue),
        "resolved": Count("id", filter=resolved),
        "resolve_ok": Count("id", filter=resolved & resolve_in_time),
        "resolve_missed_open": Count("id", filter=~resolved & resolve_overdue),
        "false_positive": Count("id", filter=resolved & Q(resolution=Resolution.FALSE_POSITIVE)),
    }
    return aggregates


def _ratio(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


def _summary(row: dict[str, Any], durations: dict[str, list[float]] | None) -> dict[str, Any]:
    """Shape one aggregate row; ``durations`` holds the sorted values when the
    percentiles were not computed by the database."""

    def stat(prefix: str) -> dict[str, float | None]:
        out: dict[str, float | None] = {"mean": _float(row.get(f"{prefix}_mean"))}
        for key, fraction in PERCENTILES:
            if durations is None:
                out[key] = _float(row.get(f"{prefix}_{key}"))
            else:
                out[key] = percentile_cont(durations[prefix], fraction)
        return out

    return {
        "incident_count": row["n"],
        "mtta_seconds": stat("mtta"),
        "mttr_seconds": stat("mttr"),
        "ack_within_target_ratio": _ratio(row["ack_ok"], row["acked"] + row["ack_missed_open"]),
        "resolve_within_target_ratio": _ratio(
            row["resolve_ok"], row["resolved"] + row["resolve_missed_open"]
        ),
        "resolved_count": row["resolved"],
        "false_positive_rate": _ratio(row["false_positive"], row["resolved"]),
    }


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def _empty_row() -> dict[str, Any]:
    return {
        "n": 0,
        "acked": 0,
        "ack_ok": 0,
        "ack_missed_open": 0,
        "resolved": 0,
        "resolve_ok": 0,
        "resolve_missed_open": 0,
        "false_positive": 0,
    }


def metrics_scope_queryset(scope: MetricsScope) -> QuerySet[Incident]:
    # A drill's incident (a game day) is practice, never a figure of the real service.
    qs = Incident.objects.filter(
        triggered_at__gte=scope.since, triggered_at__lt=scope.until, is_drill=False
    )
    if scope.team_ids is not None:
        qs = qs.filter(team_id__in=scope.team_ids)
    if scope.severity is not None:
        qs = qs.filter(severity=scope.severity)
    return qs


def incident_metrics(
    scope: MetricsScope, *, percentiles_in_database: bool | None = None
) -> dict[str, Any]:
    """Every figure for the scope. Callers (the API, the page) resolve the user's teams
    and the period into a :class:`MetricsScope` with :func:`metrics_scope_for`.
    ``percentiles_in_database`` defaults to "on PostgreSQL"; False forces the portable
    path (used to check that both agree)."""
    in_database = (
        database_has_percentile_cont()
        if percentiles_in_database is None
        else percentiles_in_database
    )
    severity_rows = list(Severity.objects.order_by("level").values_list("pk", "name"))
    if scope.severity is not None:
        severity_rows = [(scope.severity.pk, scope.severity.name)]
    severities = [name for _pk, name in severity_rows]
    if in_database:
        overall, per_severity, per_week, week_severity_counts = _groups_postgresql(
            scope, severity_rows
        )
        durations = None
    else:
        overall, per_severity, per_week, week_severity_counts, durations = _groups_portable(scope)

    def group_durations(key: Any) -> dict[str, list[float]] | None:
        if durations is None:
            return None
        return durations.get(key, {"mtta": [], "mttr": []})

    result = _summary(overall, group_durations("all"))
    weeks_in_period = (scope.until - scope.since) / WEEK
    result["incidents_per_week"] = result["incident_count"] / weeks_in_period
    result["by_severity"] = {
        name: _summary(per_severity.get(name, _empty_row()), group_durations(("sev", name)))
        for name in severities
    }
    by_week = []
    start = week_start(scope.since)
    while start < scope.until:
        entry = _summary(per_week.get(start, _empty_row()), group_durations(("week", start)))
        entry = {"week_start": start.date().isoformat(), **entry}
        entry["incident_count_by_severity"] = {
            name: week_severity_counts.get((start, name), 0) for name in severities
        }
        by_week.append(entry)
        start += WEEK
    result["by_week"] = by_week

    unavailable: dict[str, str] = {}
    for name in (
        "postmortem_completion_rate",
        "action_item_completion_rate",
        "pages_per_engineer_per_week",
    ):
        value, reason = provided_figure(name, scope)
        result[name] = value
        if reason:
            unavailable[name] = reason
    result["unavailable"] = unavailable
    result["period"] = {
        "since": scope.since.isoformat(),
        "until": scope.until.isoformat(),
        "weeks": weeks_in_period,
    }
    return result


Groups = tuple[
    dict[str, Any],
    dict[str, dict[str, Any]],
    dict[datetime, dict[str, Any]],
    dict[tuple[datetime, str], int],
]


def _groups_portable(scope: MetricsScope) -> tuple[Any, ...]:
    """Any database: four ORM aggregate queries, and one for the durations from which
    the percentiles are interpolated here."""
    base = metrics_scope_queryset(scope)
    aggregates = _aggregates(scope.now)
    overall = base.aggregate(**aggregates)
    per_severity = {
        row["severity__name"]: row
        for row in base.values("severity__name").annotate(**aggregates).order_by()
    }
    week = TruncWeek("triggered_at", tzinfo=UTC)
    per_week = {
        _as_utc(row["week"]): row
        for row in base.annotate(week=week).values("week").annotate(**aggregates).order_by()
    }
    week_severity_counts = {
        (_as_utc(row["week"]), row["severity__name"]): row["n"]
        for row in base.annotate(week=week)
        .values("week", "severity__name")
        .annotate(n=Count("id"))
        .order_by()
    }
    return overall, per_severity, per_week, week_severity_counts, _durations_by_group(base)


# One pass over the period's incidents: each duration is computed once per row (as
# double precision: date_part, not the slower numeric EXTRACT), then every group is
# aggregated by GROUPING SETS, percentiles by percentile_cont over an array of fractions
# so that each group is sorted once per duration.
_POSTGRESQL_SQL = """
WITH base AS (
    SELECT
        i.severity_id,
        date_trunc('week', i.triggered_at AT TIME ZONE 'UTC') AS week,
        date_part('epoch', i.acknowledged_at - i.triggered_at) AS mtta,
        CASE WHEN i.status = 'resolved'
            THEN date_part('epoch', i.resolved_at - i.triggered_at) END AS mttr,
        date_part('epoch', %(now)s - i.triggered_at) AS age,
        date_part('epoch', s.ack_target) AS ack_target,
        date_part('epoch', s.resolve_target) AS resolve_target,
        i.status = 'resolved' AS resolved,
        i.resolution = 'false_positive' AS false_positive
    FROM incidents_incident i
    JOIN incidents_severity s ON s.id = i.severity_id
    WHERE i.triggered_at >= %(since)s AND i.triggered_at < %(until)s AND NOT i.is_drill
        {filters}
)
SELECT
    GROUPING(severity_id) AS g_severity,
    GROUPING(week) AS g_week,
    severity_id,
    week,
    count(*) AS n,
    avg(mtta) AS mtta_mean,
    avg(mttr) AS mttr_mean,
    percentile_cont(%(fractions)s::double precision[]) WITHIN GROUP (ORDER BY mtta)
        AS mtta_percentiles,
    percentile_cont(%(fractions)s::double precision[]) WITHIN GROUP (ORDER BY mttr)
        AS mttr_percentiles,
    count(*) FILTER (WHERE mtta IS NOT NULL) AS acked,
    count(*) FILTER (WHERE mtta <= ack_target) AS ack_ok,
    count(*) FILTER (WHERE mtta IS NULL AND age > ack_target) AS ack_missed_open,
    count(*) FILTER (WHERE resolved) AS resolved,
    count(*) FILTER (WHERE resolved AND mttr <= resolve_target) AS resolve_ok,
    count(*) FILTER (WHERE NOT resolved AND age > resolve_target) AS resolve_missed_open,
    count(*) FILTER (WHERE resolved AND false_positive) AS false_positive
    {severity_counts}
FROM base
GROUP BY GROUPING SETS ((), (severity_id), (week))
"""


def _groups_postgresql(scope: MetricsScope, severities: list[tuple[int, str]]) -> Groups:
    """PostgreSQL: every group and percentile in one query. The counts by week and
    severity are columns of the week rows (a fourth grouping set would sort every row
    twice more for percentiles nobody reads)."""
    filters = []
    names = dict(severities)
    severity_counts = "".join(
        f", count(*) FILTER (WHERE severity_id = {int(pk)}) AS severity_{int(pk)}"
        for pk, _name in severities
    )
    params: dict[str, Any] = {
        "now": scope.now,
        "since": scope.since,
        "until": scope.until,
        "fractions": [fraction for _key, fraction in PERCENTILES],
    }
    if scope.team_ids is not None:
        filters.append("AND i.team_id = ANY(%(team_ids)s)")
        params["team_ids"] = list(scope.team_ids)
    if scope.severity is not None:
        filters.append("AND i.severity_id = %(severity_id)s")
        params["severity_id"] = scope.severity.pk
    sql = _POSTGRESQL_SQL.format(filters=" ".join(filters), severity_counts=severity_counts)
    overall: dict[str, Any] = _empty_row()
    per_severity: dict[str, dict[str, Any]] = {}
    per_week: dict[datetime, dict[str, Any]] = {}
    week_severity_counts: dict[tuple[datetime, str], int] = {}
    with transaction.atomic(), connection.cursor() as cursor:
        # The sorts of 100,000 rows would spill to disk with the default 4 MB; LOCAL ends
        # with this transaction.
        cursor.execute("SET LOCAL work_mem = '64MB'")
        cursor.execute(sql, params)
        columns = [c[0] for c in cursor.description]
        for values in cursor.fetchall():
            row = dict(zip(columns, values, strict=True))
            for prefix in ("mtta", "mttr"):
                found = row.pop(f"{prefix}_percentiles") or [None] * len(PERCENTILES)
                for (key, _fraction), value in zip(PERCENTILES, found, strict=True):
                    row[f"{prefix}_{key}"] = value
            week = row["week"]
            if week is not None:
                week = week.replace(tzinfo=UTC)  # date_trunc of a UTC wall-clock time
            if row["g_severity"] and row["g_week"]:
                overall = row
            elif row["g_week"]:
                per_severity[names[row["severity_id"]]] = row
            else:
                per_week[week] = row
                for pk, name in severities:
                    week_severity_counts[(week, name)] = row[f"severity_{int(pk)}"]
    return overall, per_severity, per_week, week_severity_counts


def _as_utc(value: datetime) -> datetime:
    if timezone.is_naive(value):
        value = timezone.make_aware(value, UTC)
    return value.astimezone(UTC)


def _durations_by_group(base: QuerySet[Incident]) -> dict[Any, dict[str, list[float]]]:
    """Portable percentile path: one query for the period's durations, grouped here."""
    groups: dict[Any, dict[str, list[float]]] = {}
    rows = base.annotate(
        mtta_s=DurationSeconds(F("acknowledged_at"), F("triggered_at")),
        mttr_s=DurationSeconds(F("resolved_at"), F("triggered_at")),
        week=TruncWeek("triggered_at", tzinfo=UTC),
    ).values_list("severity__name", "week", "status", "mtta_s", "mttr_s")
    for severity_name, week, status, mtta, mttr in rows:
        for key in ("all", ("sev", severity_name), ("week", _as_utc(week))):
            group = groups.setdefault(key, {"mtta": [], "mttr": []})
            if mtta is not None:
                group["mtta"].append(mtta)
            if status == IncidentStatus.RESOLVED and mttr is not None:
                group["mttr"].append(mttr)
    for group in groups.values():
        group["mtta"].sort()
        group["mttr"].sort()
    return groups
