"""The incident lifecycle: the one place where an incident's status changes.

``incident_transition`` locks the incident, checks the move against the allowed-transition
table (forward along ``IncidentStatus``, steps may be skipped; leaving ``resolved`` only by
an explicit reopen), records the timestamps, appends a timeline event with the old and new
status, and sends ``incident_status_changed`` inside the transaction. A move that is not
allowed is a Conflict (409) that says which moves are."""

from typing import Any

from django.contrib.auth.models import User as AuthUser
from django.db import transaction
from django.utils import timezone

from common.errors import Conflict, InvalidInput
from common.history import attribute_history
from incidents import signals
from incidents.models import STATUS_ORDER, Incident, IncidentStatus, Resolution, TimelineEventKind
from incidents.services.common import incident_lock, timeline_event_create
from oncall.teams.services import team_require_member

S = IncidentStatus

# The allowed-transition table: forward along the lifecycle, skipping allowed. Leaving
# "resolved" is only possible through an explicit reopen (see incident_reopen).
ALLOWED_TRANSITIONS: dict[str, tuple[str, ...]] = {
    status: tuple(STATUS_ORDER[index + 1 :]) for index, status in enumerate(STATUS_ORDER)
}
ALLOWED_TRANSITIONS[S.RESOLVED] = ()
REOPEN_TARGET = S.TRIGGERED


def _transition_error(current: str, target: str) -> Conflict:
    allowed = ALLOWED_TRANSITIONS[current]
    if current == target:
        detail = f"The incident is already {current}."
    elif current == S.RESOLVED:
        detail = "The incident is resolved; reopen it first (POST …/reopen/)."
    elif target == S.ACKNOWLEDGED and current != S.TRIGGERED:
        detail = f"Only a triggered incident can be acknowledged; this one is {current}."
    else:
        detail = f"Cannot move the incident from {current} back to {target}."
    if allowed:
        detail += f" Allowed next statuses: {', '.join(allowed)}."
    return Conflict(detail, extra={"status": current, "allowed": list(allowed)})


@transaction.atomic
def incident_transition(
    *,
    incident: Incident | int,
    to_status: str,
    actor: AuthUser | None,
    message: str = "",
    resolution: str = "",
    reopen: bool = False,
    reopen_count: int | None = None,
) -> Incident:
    """The one place where an incident's status changes. ``reopen_count``, when given,
    must still be the incident's (checked under the row lock): a page link sent before a
    resolve carries the count it was sent at, and never moves the reopened incident."""
    if to_status not in STATUS_ORDER:
        raise InvalidInput(
            f"Unknown status {to_status!r}.",
            errors={"status": [f"Choose one of {', '.join(STATUS_ORDER)}."]},
        )
    if resolution and resolution not in Resolution.values:
        raise InvalidInput(
            f"Unknown resolution {resolution!r}.",
            errors={"resolution": [f"Choose one of {', '.join(Resolution.values)}."]},
        )
    locked = incident_lock(incident)
    team_require_member(actor=actor, team=locked.team)
    if reopen_count is not None and locked.reopen_count != reopen_count:
        raise Conflict(
            f"This link was sent before {locked.reference} was reopened. Use the link in "
            "the newest page, or acknowledge on the incident's page."
        )
    old_status = locked.status
    if reopen:
        if old_status != S.RESOLVED:
            raise Conflict(
                f"Only a resolved incident can be reopened; this one is {old_status}.",
                extra={"status": old_status, "allowed": list(ALLOWED_TRANSITIONS[old_status])},
            )
    elif to_status not in ALLOWED_TRANSITIONS[old_status]:
        raise _transition_error(old_status, to_status)

    now = timezone.now()
    changed = ["status"]
    data: dict[str, Any] = {"from": old_status, "to": to_status}
    locked.status = to_status
    if reopen:
        locked.resolved_at = None
        locked.resolution = ""
        locked.reopen_count += 1
        changed += ["resolved_at", "resolution", "reopen_count"]
        kind: str = TimelineEventKind.REOPENED
    else:
        if old_status == S.TRIGGERED and locked.acknowledged_at is None:
            locked.acknowledged_at = now
            changed.append("acknowledged_at")
            data["acknowledged"] = True
        if to_status == S.RESOLVED:
            locked.resolved_at = now
            locked.resolution = resolution or Resolution.FIXED
            changed += ["resolved_at", "resolution"]
            data["resolution"] = locked.resolution
        kinds: dict[str, str] = {
            S.ACKNOWLEDGED: TimelineEventKind.ACKNOWLEDGED,
            S.RESOLVED: TimelineEventKind.RESOLVED,
        }
        kind = kinds.get(to_status, TimelineEventKind.STATUS_CHANGED)
    attribute_history(locked, actor).save(update_fields=[*changed, "updated_at"])
    timeline_event_create(incident=locked, kind=kind, actor=actor, message=message, data=data)
    signals.incident_status_changed.send(
        sender=Incident,
        incident=locked,
        actor=actor,
        old_status=old_status,
        new_status=to_status,
        reopened=reopen,
    )
    return locked


def incident_acknowledge(
    *,
    incident: Incident | int,
    actor: AuthUser | None,
    message: str = "",
    reopen_count: int | None = None,
) -> Incident:
    return incident_transition(
        incident=incident,
        to_status=S.ACKNOWLEDGED,
        actor=actor,
        message=message,
        reopen_count=reopen_count,
    )


def incident_set_status(
    *, incident: Incident | int, to_status: str, actor: AuthUser | None, message: str = ""
) -> Incident:
    return incident_transition(incident=incident, to_status=to_status, actor=actor, message=message)


def incident_resolve(
    *,
    incident: Incident | int,
    actor: AuthUser | None,
    message: str = "",
    resolution: str = Resolution.FIXED,
) -> Incident:
    return incident_transition(
        incident=incident,
        to_status=S.RESOLVED,
        actor=actor,
        message=message,
        resolution=resolution,
    )


def incident_reopen(
    *, incident: Incident | int, actor: AuthUser | None, message: str = ""
) -> Incident:
    return incident_transition(
        incident=incident, to_status=REOPEN_TARGET, actor=actor, message=message, reopen=True
    )
