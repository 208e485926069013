"""Reads for pages and the on-call load report."""

from collections import defaultdict
from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import QuerySet

from incidents.models import Incident, Page, PageStatus
from oncall.load import business_seconds, iso_week
from oncall.models import Handoff, Team

PAGE_TARGET_PER_WEEK = 10


def incident_pages(*, incident: Incident) -> QuerySet[Page]:
    return (
        Page.objects.filter(incident=incident).select_related("user").order_by("created_at", "pk")
    )


def oncall_load(*, team: Team, since: datetime, until: datetime) -> list[dict[str, Any]]:
    """Per member of ``team``: hours on call and outside business hours (from recorded
    handoffs, so later schedule edits do not rewrite the past), and pages received per ISO
    week (a page through several contact methods counts once). Users above 10 pages in any
    week are flagged. A fixed number of queries, whatever the data."""
    users = list(
        get_user_model().objects.filter(team_memberships__team=team).order_by("username").distinct()
    )
    hours: dict[int, float] = defaultdict(float)
    off_hours: dict[int, float] = defaultdict(float)
    handoffs = Handoff.objects.filter(
        schedule__team=team, start__lt=until, end__gt=since
    ).select_related("schedule")
    for handoff in handoffs:
        start, end = max(handoff.start, since), min(handoff.end, until)
        seconds = (end - start).total_seconds()
        inside = business_seconds(start, end, handoff.schedule.time_zone)
        hours[handoff.user_id] += seconds / 3600
        off_hours[handoff.user_id] += (seconds - inside) / 3600
    weekly: dict[int, dict[str, set]] = defaultdict(lambda: defaultdict(set))
    pages = (
        Page.objects.filter(
            incident__team=team,
            created_at__gte=since,
            created_at__lt=until,
            status__in=[PageStatus.SENT, PageStatus.QUEUED, PageStatus.FAILED],
        )
        .values_list("user_id", "created_at", "incident_id", "run", "loop", "level")
        .order_by()
    )
    for user_id, created_at, *step in pages:
        weekly[user_id][iso_week(created_at)].add(tuple(step))
    report = []
    for user in users:
        per_week = {week: len(steps) for week, steps in sorted(weekly[user.pk].items())}
        report.append(
            {
                "user": {"id": user.pk, "username": user.get_username()},
                "hours_on_call": round(hours[user.pk], 2),
                "hours_outside_business_hours": round(off_hours[user.pk], 2),
                "pages": sum(per_week.values()),
                "pages_per_week": per_week,
                "over_target": any(n > PAGE_TARGET_PER_WEEK for n in per_week.values()),
            }
        )
    return report
