"""What every incident write shares: the incident row locked first
(``incident_lock``), the timeline event appended to it (``timeline_event_create``), and
the rule that the people in an incident's roles belong to its team."""

from typing import Any

from django.contrib.auth.models import User as AuthUser
from django.utils import timezone

from common.errors import InvalidInput
from incidents.models import Incident, TimelineEvent
from oncall.teams.models import Team


def timeline_event_create(
    *,
    incident: Incident,
    kind: str,
    actor: AuthUser | None = None,
    message: str = "",
    data: dict[str, Any] | None = None,
) -> TimelineEvent:
    """Append an event to an incident's timeline (callers hold the incident's lock or
    are only adding information, never changing the incident)."""
    return TimelineEvent.objects.create(
        incident=incident,
        kind=kind,
        actor=actor if actor is not None and actor.is_authenticated else None,
        message=message,
        data=data or {},
        created_at=timezone.now(),
    )


def incident_lock(incident: Incident | int) -> Incident:
    """The incident row, locked until the transaction ends: every write that changes an
    incident (here and in the rooms, e.g. a status update) takes it first, inside a
    transaction."""
    pk = incident.pk if isinstance(incident, Incident) else incident
    return Incident.objects.select_for_update().select_related("team", "severity").get(pk=pk)


def incident_roles_require_in_team(*, team: Team, roles: dict[str, AuthUser | None]) -> None:
    """Everyone given an incident role (``{role: user}``) is a member of ``team``; else
    InvalidInput naming each role whose person is not."""
    errors = {
        field: [f"{user.get_username()} is not a member of team {team.name}."]
        for field, user in roles.items()
        if user is not None and not team.memberships.filter(user=user).exists()
    }
    if errors:
        raise InvalidInput("People in incident roles must belong to the team.", errors=errors)


# Summaries and impact statements are read by people: 20,000 characters is about eight
# pages. Longer text (a 2 MiB log) belongs in an attachment or a link. The API's
# serializers show the same limit in the schema.
INCIDENT_TEXT_MAX = 20_000


def incident_text_require_bounded(**texts: Any) -> None:
    """Refuse a summary or impact longer than ``INCIDENT_TEXT_MAX``, naming the field."""
    errors = {
        name: [f"At most {INCIDENT_TEXT_MAX:,} characters (this has {len(text):,})."]
        for name, text in texts.items()
        if isinstance(text, str) and len(text) > INCIDENT_TEXT_MAX
    }
    if errors:
        raise InvalidInput("The text is too long.", errors=errors)
