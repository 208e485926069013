"""Declaring an incident: it starts ``triggered``, numbered within its team (the team row
is locked so concurrent declarations get distinct numbers), with its first timeline
event, and ``incident_declared`` tells the rooms (paging, communication, mirroring…)
inside the same transaction. An ``Idempotency-Key`` makes a retried declaration return
the first incident instead of a second one."""

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
from common.history import attribute_history
from incidents import signals
from incidents.models import (
    IdempotencyRecord,
    Incident,
    IncidentStatus,
    Service,
    Severity,
    TimelineEventKind,
)
from incidents.services.catalog import services_require_in_team
from incidents.services.common import (
    incident_roles_require_in_team,
    incident_text_require_bounded,
    timeline_event_create,
)
from oncall.teams.models import Team
from oncall.teams.services import team_require_member

S = IncidentStatus


def _user_label(user: AuthUser | None) -> str | None:
    return None if user is None else user.get_username()


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
    is_drill: bool = False,
) -> Incident:
    """Declare an incident: it starts ``triggered`` and numbered within its team.
    ``is_drill``: a game day's incident (readiness.drills), known to every receiver of
    ``incident_declared``; only Python callers pass it, never a client."""
    team_require_member(actor=actor, team=team)
    incident_text_require_bounded(summary=summary, impact=impact)
    title = title.strip()
    if not title:
        raise InvalidInput(
            "An incident needs a title.", errors={"title": ["This field is required."]}
        )
    services = services_require_in_team(
        team=team, services=services, message="Services must belong to the incident's team."
    )
    incident_roles_require_in_team(
        team=team,
        roles={
            "commander": commander,
            "scribe": scribe,
            "communications_lead": communications_lead,
        },
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
        is_drill=is_drill,
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
