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

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from incidents.models import Severity

# --- providers (figures owned by other apps) ----------------------------------------------


@dataclass(frozen=True)
class MetricsScope:
    """What a provider is asked about: the teams (``None`` = every team, for staff), the
    period ``[since, until)``, an optional severity, and the moment of the computation."""

    team_ids: list[int] | None
    since: datetime
    until: datetime
    severity: Severity | None
    now: datetime


Provider = Callable[[MetricsScope], Any]

# Figure name -> why it is missing while no provider is registered.
PROVIDED_FIGURES: dict[str, str] = {
    "postmortem_completion_rate": (
        "not available until the postmortems module (issue 5) registers a provider"
    ),
    "action_item_completion_rate": (
        "not available until the action items module (issue 5) registers a provider"
    ),
    "pages_per_engineer_per_week": (
        "not available until the on-call engine (issue 3) registers a provider"
    ),
    "escalation_engine_lag_seconds": (
        "not available until the on-call engine (issue 3) registers a provider"
    ),
}

_providers: dict[str, Provider] = {}


def register_provider(name: str, provider: Provider) -> None:
    """Plug in a figure computed by another app, e.g. from ``PostmortemsConfig.ready``::

    register_provider("postmortem_completion_rate", postmortem_completion_rate)
    """
    if name not in PROVIDED_FIGURES:
        raise ValueError(f"Unknown figure {name!r}; expected one of {sorted(PROVIDED_FIGURES)}")
    _providers[name] = provider


def unregister_provider(name: str) -> None:
    _providers.pop(name, None)


def provided_figure(name: str, scope: MetricsScope) -> tuple[Any, str | None]:
    """The provider's value, or ``(None, reason)`` when none is registered."""
    provider = _providers.get(name)
    if provider is None:
        return None, PROVIDED_FIGURES[name]
    return provider(scope), None
