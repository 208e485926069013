"""Reads for the paging engine: an incident's pages, the pages still waiting for a
person's acknowledgement, who is on call now on each team's schedules, and the on-call
load report (hours on call and pages per week)."""

from collections import defaultdict
from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Count, F, Max, Q, QuerySet
from django.utils import timezone

from incidents.models import Incident, IncidentStatus
from incidents.paging.models import Page, PageStatus
from oncall.schedules.load import business_seconds, iso_week
from oncall.schedules.models import Handoff
from oncall.schedules.selectors import schedule_list, schedule_oncall_user_id, users_by_id
from oncall.teams.models import Team
from oncall.teams.selectors import team_ids_for_user, team_list

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


def oncall_now(*, user: Any, at: datetime | None = None) -> list[dict[str, Any]]:
    """For each of the user's teams (every team for staff, like the home page's team list):
    its schedules and who is on call on each now. Seven queries whatever the number of teams,
    schedules and layers; a schedule that cannot be computed says so instead of failing."""
    at = at or timezone.now()
    teams = list(team_list(user=user))
    by_team: dict[int, list[dict[str, Any]]] = defaultdict(list)
    oncall_ids: set[int] = set()
    for schedule in schedule_list(user=user).filter(team__in=[t.pk for t in teams]):
        try:
            user_id, problem = schedule_oncall_user_id(schedule=schedule, at=at), None
        except ValueError as exc:
            user_id, problem = None, f"cannot be computed ({exc})"
        if user_id is not None:
            oncall_ids.add(user_id)
        by_team[schedule.team_id].append(
            {"schedule": schedule, "user_id": user_id, "problem": problem}
        )
    users = users_by_id(oncall_ids) if oncall_ids else {}
    for rows in by_team.values():
        for row in rows:
            row["user"] = users.get(row.pop("user_id"))
    return [{"team": team, "schedules": by_team.get(team.pk, [])} for team in teams]


def my_pending_pages(*, user: Any, limit: int = 20) -> list[dict[str, Any]]:
    """The incidents still triggered for which a page was sent to ``user``: one row per
    incident with the last page sent and how many steps paged them, newest first. Two
    queries whatever the number of pages."""
    if not user.is_authenticated:
        return []
    pages = Page.objects.filter(
        user=user, status=PageStatus.SENT, incident__status=IncidentStatus.TRIGGERED
    )
    team_ids = team_ids_for_user(user=user)
    if team_ids is not None:
        pages = pages.filter(incident__team_id__in=team_ids)
    rows = list(
        pages.values("incident_id")
        .annotate(last_paged_at=Max("sent_at"), pages=Count("id"))
        .order_by("-last_paged_at", "-incident_id")[:limit]
    )
    incidents = Incident.objects.select_related("team", "severity").in_bulk(
        [row["incident_id"] for row in rows]
    )
    return [
        {
            "incident": incidents[row["incident_id"]],
            "last_paged_at": row["last_paged_at"],
            "pages": row["pages"],
        }
        for row in rows
        if row["incident_id"] in incidents
    ]


def my_failing_contact_methods(*, user: Any) -> list[Any]:
    """The user's enabled contact methods whose last attempt failed (nothing has gone
    through them since), with the error: shown to them so they can fix it. One query."""
    from oncall.contacts.models import ContactMethod

    if not user.is_authenticated:
        return []
    return list(
        ContactMethod.objects.filter(user=user, enabled=True, last_failed_at__isnull=False)
        .filter(Q(last_sent_at__isnull=True) | Q(last_sent_at__lt=F("last_failed_at")))
        .order_by("-last_failed_at")
    )
