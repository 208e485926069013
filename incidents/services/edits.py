"""Editing an incident's descriptive fields and roles (never its status) and adding notes.

Each edit locks the incident, checks that the people in roles are team members and the
services the team's, saves only what changed, and records it on the timeline (severity
changes and role assignments each get their own event, with old and new values);
``incident_updated`` then tells the rooms what changed."""

from typing import Any

from django.contrib.auth.models import User as AuthUser
from django.db import transaction

from common.errors import InvalidInput
from common.history import attribute_history
from common.limits import NOTE_LENGTH, text_require_bounded
from incidents import signals
from incidents.models import Incident, Severity, TimelineEvent, TimelineEventKind
from incidents.services.catalog import services_require_in_team
from incidents.services.common import (
    incident_lock,
    incident_roles_require_in_team,
    incident_text_require_bounded,
    timeline_event_create,
)
from oncall.teams.services import team_require_member

ROLE_FIELDS = ("commander", "scribe", "communications_lead")
EDITABLE_FIELDS = ("title", "summary", "severity", "impact", "private", "services", *ROLE_FIELDS)


def _display(value: Any) -> Any:
    if value is None or isinstance(value, str | int | bool):
        return value
    if isinstance(value, Severity):
        return value.name
    if hasattr(value, "get_username"):
        return value.get_username()
    return str(value)


@transaction.atomic
def incident_update(*, incident: Incident | int, actor: AuthUser | None, **fields: Any) -> Incident:
    """Change an incident's descriptive fields and roles (not its status)."""
    _refuse_unknown_fields(fields)
    incident_text_require_bounded(
        **{name: fields[name] for name in ("summary", "impact") if name in fields}
    )
    locked = incident_lock(incident)
    team_require_member(actor=actor, team=locked.team)
    roles = {f: fields[f] for f in ROLE_FIELDS if f in fields}
    incident_roles_require_in_team(team=locked.team, roles=roles)

    changes, update_fields = _apply_fields(locked, fields)
    if "services" in fields:
        _apply_services(locked, fields["services"], changes)
    if update_fields:
        attribute_history(locked, actor).save(update_fields=[*update_fields, "updated_at"])
    _record_changes(locked, actor, changes)
    if changes:
        signals.incident_updated.send(
            sender=Incident, incident=locked, actor=actor, changes=changes
        )
    return locked


def _refuse_unknown_fields(fields: dict[str, Any]) -> None:
    unknown = sorted(set(fields) - set(EDITABLE_FIELDS))
    if unknown:
        raise InvalidInput(
            "These fields cannot be changed here.",
            errors={
                name: [
                    "Not editable; use the status actions." if name == "status" else "Not editable."
                ]
                for name in unknown
            },
        )


def _apply_fields(
    locked: Incident, fields: dict[str, Any]
) -> tuple[dict[str, list[Any]], list[str]]:
    """Set the changed fields (all but services) on the locked incident; returns the
    changes (``{field: [old, new]}`` as shown) and the columns to save."""
    changes: dict[str, list[Any]] = {}
    update_fields: list[str] = []
    for name, new in fields.items():
        if name == "services":
            continue
        if name == "title":
            new = (new or "").strip()
            if not new:
                raise InvalidInput(
                    "An incident needs a title.", errors={"title": ["This field may not be blank."]}
                )
        old = getattr(locked, name)
        if old != new:
            changes[name] = [_display(old), _display(new)]
            setattr(locked, name, new)
            update_fields.append(name)
    return changes, update_fields


def _apply_services(locked: Incident, services: Any, changes: dict[str, list[Any]]) -> None:
    """Replace the incident's services (all of its team) if they differ; the change is
    recorded as the sorted slugs before and after."""
    new_services = services_require_in_team(
        team=locked.team,
        services=services,
        message="Services must belong to the incident's team.",
    )
    old_slugs = sorted(locked.services.values_list("slug", flat=True))
    new_slugs = sorted(s.slug for s in new_services)
    if old_slugs != new_slugs:
        locked.services.set(new_services)
        changes["services"] = [old_slugs, new_slugs]


def _record_changes(
    locked: Incident, actor: AuthUser | None, changes: dict[str, list[Any]]
) -> None:
    """The timeline events of an edit: one for the severity, one per role assigned, one
    for every other field together."""
    if "severity" in changes:
        old_name, new_name = changes["severity"]
        timeline_event_create(
            incident=locked,
            kind=TimelineEventKind.SEVERITY_CHANGED,
            actor=actor,
            message=f"Severity changed from {old_name} to {new_name}",
            data={"from": old_name, "to": new_name},
        )
    for role in ROLE_FIELDS:
        if role in changes:
            old_user, new_user = changes[role]
            timeline_event_create(
                incident=locked,
                kind=TimelineEventKind.ROLE_ASSIGNED,
                actor=actor,
                message=f"{role.replace('_', ' ').capitalize()}: {new_user or 'nobody'}",
                data={"role": role, "from": old_user, "to": new_user},
            )
    other = {k: v for k, v in changes.items() if k != "severity" and k not in ROLE_FIELDS}
    if other:
        timeline_event_create(
            incident=locked,
            kind=TimelineEventKind.UPDATED,
            actor=actor,
            message="Changed " + ", ".join(sorted(other)),
            data={"changes": other},
        )


@transaction.atomic
def incident_add_note(
    *, incident: Incident | int, actor: AuthUser | None, message: str
) -> TimelineEvent:
    message = (message or "").strip()
    if not message:
        raise InvalidInput(
            "A note needs a message.", errors={"message": ["This field is required."]}
        )
    text_require_bounded(limits={"message": NOTE_LENGTH}, texts={"message": message})
    locked = incident_lock(incident)
    team_require_member(actor=actor, team=locked.team)
    return timeline_event_create(
        incident=locked, kind=TimelineEventKind.NOTE, actor=actor, message=message
    )
