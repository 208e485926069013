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

import math

from django.db import connection
from django.db.models import (
    FloatField,
    Func,
)

# --- SQL expressions ------------------------------------------------------------------------


class DurationSeconds(Func):
    """``end - start`` in seconds as a float, computed by the database."""

    output_field = FloatField()
    arity = 2

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(
            compiler,
            connection,
            template="EXTRACT(EPOCH FROM (%(expressions)s))::double precision",
            arg_joiner=" - ",
            **extra,
        )

    def as_sqlite(self, compiler, connection, **extra):
        # django_timestamp_diff is the function Django's SQLite backend registers for
        # datetime subtraction; it returns whole microseconds.
        return self.as_sql(
            compiler,
            connection,
            template="(django_timestamp_diff(%(expressions)s) / 1000000.0)",
            arg_joiner=", ",
            **extra,
        )


class IntervalSeconds(Func):
    """A DurationField column in seconds as a float."""

    output_field = FloatField()
    arity = 1

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(
            compiler,
            connection,
            template="EXTRACT(EPOCH FROM %(expressions)s)::double precision",
            **extra,
        )

    def as_sqlite(self, compiler, connection, **extra):
        # SQLite stores a DurationField as an integer number of microseconds.
        return self.as_sql(compiler, connection, template="(%(expressions)s / 1000000.0)", **extra)


def percentile_cont(sorted_values: list[float], fraction: float) -> float | None:
    """The same linear interpolation as SQL's ``percentile_cont`` on sorted values."""
    if not sorted_values:
        return None
    position = fraction * (len(sorted_values) - 1)
    lower = math.floor(position)
    upper = math.ceil(position)
    low_value, high_value = sorted_values[lower], sorted_values[upper]
    return low_value + (high_value - low_value) * (position - lower)


def _database_percentiles() -> bool:
    return connection.vendor == "postgresql"
