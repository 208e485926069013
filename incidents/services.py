"""Every write that changes an incident goes through this module.

Each public function runs in ``transaction.atomic``, locks the incident row with
``select_for_update``, records a timeline event with old and new values, and leaves
outside effects to receivers of ``incidents.signals`` (which use ``on_commit``).
"""

import hashlib
import json
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User as AuthUser
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from common.errors import Conflict, InvalidInput
from common.history import attribute_history, save_changed
from incidents import signals
from incidents.models import (
    STATUS_ORDER,
    IdempotencyRecord,
    Incident,
    IncidentStatus,
    Resolution,
    Service,
    Severity,
    TimelineEvent,
    TimelineEventKind,
)
from oncall.teams.models import Team
from oncall.teams.services import team_require_member

S = IncidentStatus

# The allowed-transition table: forward along the lifecycle, skipping allowed. Leaving
# "resolved" is only possible through an explicit reopen (see incident_reopen).
ALLOWED_TRANSITIONS: dict[str, tuple[str, ...]] = {
    status: tuple(STATUS_ORDER[index + 1 :]) for index, status in enumerate(STATUS_ORDER)
}
ALLOWED_TRANSITIONS[S.RESOLVED] = ()
REOPEN_TARGET = S.TRIGGERED

ROLE_FIELDS = ("commander", "scribe", "communications_lead")
EDITABLE_FIELDS = ("title", "summary", "severity", "impact", "private", "services", *ROLE_FIELDS)


# --- helpers --------------------------------------------------------------------------


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
    incident (here and in services_communication) takes it first, inside a transaction."""
    pk = incident.pk if isinstance(incident, Incident) else incident
    return Incident.objects.select_for_update().select_related("team", "severity").get(pk=pk)


def _user_label(user: AuthUser | None) -> str | None:
    return None if user is None else user.get_username()


def _check_users_in_team(team: Team, users: dict[str, AuthUser | None]) -> None:
    errors = {
        field: [f"{user.get_username()} is not a member of team {team.name}."]
        for field, user in users.items()
        if user is not None and not team.memberships.filter(user=user).exists()
    }
    if errors:
        raise InvalidInput("People in incident roles must belong to the team.", errors=errors)


def services_require_in_team(
    *, team: Team, services: Iterable[Service], message: str
) -> list[Service]:
    """The services, all of ``team`` (incidents and runbooks cover their own team's);
    else InvalidInput with ``message``, naming each foreign one."""
    services = list(services)
    foreign = [s.name for s in services if s.team_id != team.pk]
    if foreign:
        raise InvalidInput(
            message,
            errors={"services": [f"{name} belongs to another team." for name in foreign]},
        )
    return services


# --- declare --------------------------------------------------------------------------


@transaction.atomic
def incident_create(
    *,
    actor: AuthUser | None,
    team: Team,
    title: str,
    severity: Severity,
    summary: str = "",
    commander: AuthUser | None = None,
    scribe: AuthUser | None = None,
    communications_lead: AuthUser | None = None,
    services: Iterable[Service] = (),
    impact: str = "",
    private: bool = False,
    source: str = "api",
    dedup_key: str = "",
) -> Incident:
    """Declare an incident: it starts ``triggered`` and numbered within its team."""
    team_require_member(actor=actor, team=team)
    title = title.strip()
    if not title:
        raise InvalidInput(
            "An incident needs a title.", errors={"title": ["This field is required."]}
        )
    services = services_require_in_team(
        team=team, services=services, message="Services must belong to the incident's team."
    )
    _check_users_in_team(
        team, {"commander": commander, "scribe": scribe, "communications_lead": communications_lead}
    )
    # Lock the team row so two incidents declared at once get distinct numbers.
    Team.objects.select_for_update().only("pk").get(pk=team.pk)
    number = (Incident.objects.filter(team=team).aggregate(n=Max("number"))["n"] or 0) + 1
    created_by = actor if actor is not None and actor.is_authenticated else None
    incident = Incident(
        team=team,
        number=number,
        title=title,
        summary=summary,
        severity=severity,
        status=S.TRIGGERED,
        commander=commander,
        scribe=scribe,
        communications_lead=communications_lead,
        impact=impact,
        private=private,
        source=source,
        dedup_key=dedup_key,
        created_by=created_by,
        triggered_at=timezone.now(),
    )
    attribute_history(incident, actor).save()
    if services:
        incident.services.set(services)
    timeline_event_create(
        incident=incident,
        kind=TimelineEventKind.DECLARED,
        actor=actor,
        message=f"{incident.reference} declared as {severity.name}: {title}",
        data={
            "severity": severity.name,
            "status": S.TRIGGERED,
            "source": source,
            "commander": _user_label(commander),
            "services": [s.slug for s in services],
        },
    )
    signals.incident_declared.send(sender=Incident, incident=incident, actor=actor)
    return incident


def idempotency_request_hash(payload: Any) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def incident_create_idempotent(
    *, actor: AuthUser, idempotency_key: str, request_hash: str, **fields: Any
) -> tuple[Incident, bool]:
    """Like ``incident_create``, but the same key from the same user within the TTL
    returns the first incident. Returns ``(incident, replayed)``.

    The key row is inserted first: a concurrent request with the same key waits on the
    unique index until the first commits, then finds its incident.
    """
    key = idempotency_key.strip()
    if not key or len(key) > 255:
        raise InvalidInput("Idempotency-Key must be 1–255 characters.")
    ttl = timedelta(hours=settings.IDEMPOTENCY_KEY_TTL_HOURS)
    for _attempt in range(3):
        try:
            with transaction.atomic():
                now = timezone.now()
                IdempotencyRecord.objects.filter(
                    user=actor, key=key, created_at__lt=now - ttl
                ).delete()
                record = IdempotencyRecord.objects.create(
                    user=actor, key=key, request_hash=request_hash, created_at=now
                )
                incident = incident_create(actor=actor, **fields)
                record.incident = incident
                record.save(update_fields=["incident"])
                return incident, False
        except IntegrityError:
            existing = (
                IdempotencyRecord.objects.filter(user=actor, key=key)
                .select_related("incident")
                .first()
            )
            if existing is None or existing.incident is None:
                continue  # the other request rolled back: try again
            if existing.request_hash != request_hash:
                raise Conflict(
                    "This Idempotency-Key was already used with a different request."
                ) from None
            return existing.incident, True
    raise Conflict("Could not apply the Idempotency-Key; retry the request.")


# --- lifecycle ------------------------------------------------------------------------


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
) -> Incident:
    """The one place where an incident's status changes."""
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
    *, incident: Incident | int, actor: AuthUser | None, message: str = ""
) -> Incident:
    return incident_transition(
        incident=incident, to_status=S.ACKNOWLEDGED, actor=actor, message=message
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


# --- edits and notes ------------------------------------------------------------------


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
    locked = incident_lock(incident)
    team_require_member(actor=actor, team=locked.team)
    roles = {f: fields[f] for f in ROLE_FIELDS if f in fields}
    _check_users_in_team(locked.team, roles)

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
    if "services" in fields:
        new_services = services_require_in_team(
            team=locked.team,
            services=fields["services"],
            message="Services must belong to the incident's team.",
        )
        old_slugs = sorted(locked.services.values_list("slug", flat=True))
        new_slugs = sorted(s.slug for s in new_services)
        if old_slugs != new_slugs:
            locked.services.set(new_services)
            changes["services"] = [old_slugs, new_slugs]
    if update_fields:
        attribute_history(locked, actor).save(update_fields=[*update_fields, "updated_at"])

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
    if changes:
        signals.incident_updated.send(
            sender=Incident, incident=locked, actor=actor, changes=changes
        )
    return locked


@transaction.atomic
def incident_add_note(
    *, incident: Incident | int, actor: AuthUser | None, message: str
) -> TimelineEvent:
    message = (message or "").strip()
    if not message:
        raise InvalidInput(
            "A note needs a message.", errors={"message": ["This field is required."]}
        )
    locked = incident_lock(incident)
    team_require_member(actor=actor, team=locked.team)
    return timeline_event_create(
        incident=locked, kind=TimelineEventKind.NOTE, actor=actor, message=message
    )


# --- service catalog ------------------------------------------------------------------


@transaction.atomic
def service_create(
    *, actor: AuthUser, team: Team, name: str, slug: str = "", description: str = ""
) -> Service:
    from django.utils.text import slugify

    team_require_member(actor=actor, team=team)
    name = name.strip()
    slug = slug or slugify(name)
    if not slug:
        raise InvalidInput(
            "A service needs a name with letters or digits.",
            errors={"name": ["Cannot derive a slug from this name."]},
        )
    if Service.objects.filter(team=team, slug=slug).exists():
        raise Conflict(
            f"Team {team.name} already has a service {slug!r}.",
            errors={"slug": ["Already used in this team."]},
        )
    service = Service(team=team, name=name, slug=slug, description=description)
    attribute_history(service, actor).save()
    return service


@transaction.atomic
def service_update(*, actor: AuthUser, service: Service, **fields: Any) -> Service:
    locked = Service.objects.select_for_update().get(pk=service.pk)
    team_require_member(actor=actor, team=locked.team)
    policy = fields.get("escalation_policy")
    if policy is not None and policy.team_id != locked.team_id:
        raise InvalidInput(
            "The escalation policy must belong to the service's team.",
            errors={"escalation_policy": ["Not a policy of this service's team."]},
        )
    save_changed(locked, actor, fields)
    return locked
