"""Every write to postmortems and action items goes through this module.

Each public function runs in ``transaction.atomic``, locks the row it changes with
``select_for_update``, saves with ``update_fields`` (so django-simple-history records
who changed what) and checks that the actor belongs to the incident's team (``actor``
None is the system: a signal receiver or a beat task).
"""

import datetime
import logging
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser

from oncall.teams.models import Team, TeamMembership
from postmortems.models import (
    ActionItemStatus,
    PostmortemStatus,
)

logger = logging.getLogger(__name__)
PS = PostmortemStatus
AS = ActionItemStatus
UNPUBLISHED = [PS.DRAFT, PS.IN_REVIEW]
POSTMORTEM_TRANSITIONS: dict[str, tuple[str, ...]] = {
    PS.DRAFT: (PS.IN_REVIEW,),
    PS.IN_REVIEW: (PS.DRAFT, PS.PUBLISHED),
    PS.PUBLISHED: (),
}
ACTION_ITEM_TRANSITIONS: dict[str, tuple[str, ...]] = {
    AS.OPEN: (AS.IN_PROGRESS, AS.DONE, AS.WONT_DO),
    AS.IN_PROGRESS: (AS.OPEN, AS.DONE, AS.WONT_DO),
    # Reopening a closed item is allowed: the work turned out not to be finished.
    AS.DONE: (AS.OPEN, AS.IN_PROGRESS),
    AS.WONT_DO: (AS.OPEN,),
}
TEXT_FIELDS = (
    "summary",
    "impact",
    "root_cause",
    "what_went_well",
    "what_went_wrong",
    "lessons_technical",
    "lessons_process",
    "lessons_communication",
    "supporting_data",
)
NUMBER_FIELDS = ("users_affected", "failed_operations", "estimated_revenue_loss", "support_tickets")
EDITABLE_FIELDS = (
    *TEXT_FIELDS,
    *NUMBER_FIELDS,
    "owner",
    "reviewers",
    "whys",
    "contributing_factors",
    "timeline_entries",
)
ACTION_ITEM_EDITABLE_FIELDS = (
    "title",
    "description",
    "owner",
    "priority",
    "due_date",
    "kind",
    "tracker_url",
)


def _sla() -> datetime.timedelta:
    return datetime.timedelta(hours=settings.POSTMORTEM_SLA_HOURS)


def _escalation_delay() -> datetime.timedelta:
    return datetime.timedelta(hours=settings.POSTMORTEM_ESCALATION_HOURS)


def _users_not_in_team(team: Team, users: Iterable[AbstractBaseUser]) -> list[AbstractBaseUser]:
    users = [u for u in users if u is not None]
    member_ids = set(
        TeamMembership.objects.filter(team=team, user__in=users).values_list("user_id", flat=True)
    )
    return [u for u in users if u.pk not in member_ids]


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, str | int | bool | float | list | dict):
        return value
    if isinstance(value, Decimal):
        return str(value)
    if hasattr(value, "get_username"):
        return value.get_username()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)
