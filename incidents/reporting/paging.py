"""Metrics figures owned by the paging engine, registered with
:func:`incidents.reporting.providers.register_provider` from ``config.apps``.

* ``pages_per_engineer_per_week`` -- ``{"mean", "max", "over_limit"}``. An *engineer* is an
  active member of one of the scope's teams (every team for staff). A *page* is one
  escalation step that reached the engineer: the ``Page`` rows of one step (incident, run,
  repeat, rule level) count once however many contact methods it went through; cancelled
  rows (acknowledged before they went out) do not count, as in the on-call load report
  (``incidents.paging.selectors.oncall_load``). Only pages
  for incidents of the scope's teams (and severity, if given) count, so a team never
  sees another team's incidents through this figure. Weeks are the ISO weeks (Monday
  00:00 UTC) that the period ``[since, until)`` touches, like ``by_week``; a page belongs
  to the week in which it was created. ``mean`` is over every engineer x week (quiet
  weeks count as 0), ``max`` the busiest engineer-week, ``over_limit`` the engineers with
  more than ``ONCALL_PAGES_PER_WEEK_LIMIT`` (10) pages in a week.
* ``escalation_engine_lag_seconds`` -- how late the oldest due, not yet executed
  escalation step is now (``now - next_escalation_at`` of the oldest active escalation
  whose step is due); 0 when none is due.

Each figure is two queries at most, whatever the number of pages.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Min

from incidents.paging.models import EscalationState, IncidentEscalation, Page, PageStatus
from incidents.reporting.formulas import WEEK, week_start
from incidents.reporting.providers import MetricsScope, register_provider


def pages_per_engineer_per_week(scope: MetricsScope) -> dict[str, Any]:
    users = get_user_model().objects.filter(is_active=True, team_memberships__isnull=False)
    if scope.team_ids is not None:
        users = users.filter(team_memberships__team_id__in=scope.team_ids)
    engineers = dict(users.distinct().values_list("pk", "username"))

    # A drill's pages are practice: they do not count towards anyone's paging load.
    pages = Page.objects.exclude(status=PageStatus.CANCELLED).filter(
        incident__is_drill=False,
        user_id__in=list(engineers),
        created_at__gte=scope.since,
        created_at__lt=scope.until,
    )
    if scope.team_ids is not None:
        pages = pages.filter(incident__team_id__in=scope.team_ids)
    if scope.severity is not None:
        pages = pages.filter(incident__severity=scope.severity)
    steps = pages.values_list(
        "user_id", "incident_id", "run", "loop", "level", "created_at"
    ).distinct()

    counted: set[tuple[int, int, int, int, int]] = set()
    per_cell: dict[tuple[int, datetime], int] = defaultdict(int)
    for user_id, incident_id, run, loop, level, created_at in steps:
        step = (user_id, incident_id, run, loop, level)
        if step in counted:
            continue
        counted.add(step)
        per_cell[(user_id, week_start(created_at))] += 1

    weeks = 0
    start = week_start(scope.since)
    while start < scope.until:
        weeks += 1
        start += WEEK
    cells = len(engineers) * weeks
    limit = settings.ONCALL_PAGES_PER_WEEK_LIMIT
    over: dict[int, list[tuple[datetime, int]]] = defaultdict(list)
    for (user_id, week), count in sorted(per_cell.items()):
        if count > limit:
            over[user_id].append((week, count))
    return {
        "mean": (sum(per_cell.values()) / cells) if cells else 0.0,
        "max": max(per_cell.values(), default=0),
        "limit": limit,
        "over_limit": [
            {
                "user_id": user_id,
                "username": engineers[user_id],
                "max_pages": max(count for _week, count in over[user_id]),
                "weeks": [
                    {"week_start": week.date().isoformat(), "pages": count}
                    for week, count in over[user_id]
                ],
            }
            for user_id in sorted(over, key=lambda uid: engineers[uid])
        ],
    }


def escalation_engine_lag_seconds(scope: MetricsScope) -> float:
    due = IncidentEscalation.objects.filter(
        state=EscalationState.ACTIVE, next_escalation_at__lte=scope.now
    )
    if scope.team_ids is not None:
        due = due.filter(incident__team_id__in=scope.team_ids)
    oldest = due.aggregate(oldest=Min("next_escalation_at"))["oldest"]
    if oldest is None:
        return 0.0
    return max((scope.now - oldest).total_seconds(), 0.0)


def register() -> None:
    register_provider("pages_per_engineer_per_week", pages_per_engineer_per_week)
    register_provider("escalation_engine_lag_seconds", escalation_engine_lag_seconds)
