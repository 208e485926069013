"""Reading the audit log: staff read every row, a team's managers the rows of their
teams, anyone else nothing (a 403, not an empty list: the page is not theirs)."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.models import User as AuthUser
from django.db.models import Q, QuerySet

from common.errors import AccessDenied
from oncall.audit.models import AuditEvent

Viewer = AuthUser | AnonymousUser
# The role name of a team's managers (oncall.teams.models.TeamRole.MANAGER): the teams
# room records into this one, so this one reads teams through the relation only.
MANAGER_ROLE = "manager"


def _team_model():
    return AuditEvent._meta.get_field("team").related_model


def audit_teams_readable(*, viewer: Viewer) -> QuerySet:
    """The teams whose rows ``viewer`` may read (staff: every team)."""
    teams = _team_model().objects.order_by("name")
    if not viewer.is_authenticated:
        return teams.none()
    if viewer.is_staff:
        return teams
    return teams.filter(memberships__user=viewer, memberships__role=MANAGER_ROLE)


def audit_can_read(*, viewer: Viewer) -> bool:
    return bool(viewer.is_authenticated) and (
        viewer.is_staff or audit_teams_readable(viewer=viewer).exists()
    )


@dataclass(frozen=True)
class AuditFilters:
    action: str = ""
    team_id: int | None = None
    actor: str = ""
    address: str = ""
    since: datetime | None = None
    until: datetime | None = None


def audit_event_list(*, viewer: Viewer, filters: AuditFilters | None = None) -> QuerySet:
    if not audit_can_read(viewer=viewer):
        raise AccessDenied("Only staff and team managers can read the audit log.")
    filters = filters or AuditFilters()
    events = AuditEvent.objects.select_related("team").order_by("-at", "-id")
    if not viewer.is_staff:
        events = events.filter(team__in=audit_teams_readable(viewer=viewer))
    conditions: dict[str, Any] = {}
    if filters.action:
        conditions["action"] = filters.action
    if filters.team_id is not None:
        conditions["team_id"] = filters.team_id
    if filters.address:
        conditions["source_address"] = filters.address
    if filters.since is not None:
        conditions["at__gte"] = filters.since
    if filters.until is not None:
        conditions["at__lt"] = filters.until
    events = events.filter(**conditions)
    if filters.actor:
        events = events.filter(
            Q(actor_label__iexact=filters.actor) | Q(actor__username__iexact=filters.actor)
        )
    return events
