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

import re
from datetime import UTC, datetime, timedelta

PERCENTILES = (("p50", 0.5), ("p90", 0.9))
DEFAULT_PERIOD = timedelta(days=28)
MAX_PERIOD = timedelta(weeks=520)
WEEK = timedelta(weeks=1)
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(9000, 1, 1, tzinfo=UTC)
NAME_PATTERN = re.compile(r"^[-\w]{1,100}$", re.ASCII)
