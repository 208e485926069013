"""Mirroring incidents to PagerDuty: trigger on declare (and reopen), acknowledge and
resolve on the matching transitions, dedup key = the Tocsin incident id.

Each event is a ``MirrorDelivery`` (this room's record of it) and an outbox message
(purpose ``mirroring.event``, key ``mirror:<delivery id>``), both written inside the
transaction that changed the incident. The outbox sends it after the commit with no
transaction open and no lock held, retries it with back-off and tells
``incidents.mirroring.outbox`` the outcome, which updates the delivery and the
incident's timeline. Delivery is at least once; PagerDuty folds a repeat by its dedup
key. Events of one incident reach PagerDuty in order: one waits while an earlier one is
still pending (see ``incidents.mirroring.outbox``).
"""

from datetime import timedelta
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import CharField, Exists, OuterRef, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone

from common.errors import AccessDenied, Conflict, InvalidInput
from common.history import attribute_history, save_changed
from incidents.alerts.parsers.events import ACKNOWLEDGE, RESOLVE, TRIGGER
from incidents.links import incident_url
from incidents.mirroring.models import MirrorDelivery, MirrorDeliveryStatus, PagerDutyMirror
from incidents.models import Incident, IncidentStatus, Service
from oncall.teams.models import Team
from oncall.teams.selectors import team_is_manager
from outbox.models import Message, Transport
from outbox.services import message_enqueue

SEVERITY_BY_LEVEL = {1: "critical", 2: "error", 3: "warning"}
PURPOSE = "mirroring.event"
KEY_PREFIX = "mirror:"


def mirror_dedup_key(incident: Incident) -> str:
    """PagerDuty's dedup key for an incident: the same for its trigger, acknowledge and
    resolve, and for every repeat of each."""
    return str(incident.pk)


def mirror_message_key(delivery_id: int) -> str:
    """The outbox key (idempotency key) of a delivery's message."""
    return f"{KEY_PREFIX}{delivery_id}"


@transaction.atomic
def pagerduty_mirror_create(
    *,
    actor: AbstractBaseUser | None,
    team: Team,
    routing_key: str,
    service: Service | None = None,
    enabled: bool = True,
) -> PagerDutyMirror:
    if actor is not None and not team_is_manager(user=actor, team=team):
        raise AccessDenied(f"Only managers of team {team.name} can configure mirroring.")
    routing_key = (routing_key or "").strip()
    if not routing_key or len(routing_key) > 64:
        raise InvalidInput(
            "A PagerDuty routing key is needed.",
            errors={"routing_key": ["1–64 characters (the PagerDuty integration key)."]},
        )
    if service is not None and service.team_id != team.pk:
        raise InvalidInput(
            "The service must belong to the team.", errors={"service": ["Another team's."]}
        )
    existing = PagerDutyMirror.objects.filter(team=team)
    existing = (
        existing.filter(service=service) if service else existing.filter(service__isnull=True)
    )
    if existing.exists():
        raise Conflict("A mirror is already configured there.")
    mirror = PagerDutyMirror(team=team, service=service, routing_key=routing_key, enabled=enabled)
    attribute_history(mirror, actor).save()
    return mirror


@transaction.atomic
def pagerduty_mirror_update(
    *, actor: AbstractBaseUser | None, mirror: PagerDutyMirror, **fields: Any
) -> PagerDutyMirror:
    locked = PagerDutyMirror.objects.select_for_update().select_related("team").get(pk=mirror.pk)
    if actor is not None and not team_is_manager(user=actor, team=locked.team):
        raise AccessDenied(f"Only managers of team {locked.team.name} can configure mirroring.")
    unknown = sorted(set(fields) - {"routing_key", "enabled"})
    if unknown:
        raise InvalidInput("Unknown fields.", errors={k: ["Not editable."] for k in unknown})
    if "routing_key" in fields:
        fields["routing_key"] = (fields["routing_key"] or "").strip()
        if not fields["routing_key"] or len(fields["routing_key"]) > 64:
            raise InvalidInput(
                "A PagerDuty routing key is needed.",
                errors={"routing_key": ["1–64 characters (the PagerDuty integration key)."]},
            )
    save_changed(locked, actor, fields)
    return locked


@transaction.atomic
def pagerduty_mirror_delete(*, actor: AbstractBaseUser | None, mirror: PagerDutyMirror) -> None:
    locked = PagerDutyMirror.objects.select_for_update().select_related("team").get(pk=mirror.pk)
    if actor is not None and not team_is_manager(user=actor, team=locked.team):
        raise AccessDenied(f"Only managers of team {locked.team.name} can configure mirroring.")
    attribute_history(locked, actor).delete()


def pagerduty_mirror_for(*, incident: Incident) -> PagerDutyMirror | None:
    """A mirror of one of the incident's services wins over the team-wide one. Runs for
    every declared incident, so it is one small query (the team's enabled mirrors,
    usually none) plus one for the incident's services only when a service has one."""
    mirrors = list(PagerDutyMirror.objects.filter(team_id=incident.team_id, enabled=True))
    if not mirrors:
        return None
    by_service = {m.service_id: m for m in mirrors if m.service_id is not None}
    if by_service:
        for service_id in sorted(incident.services.values_list("id", flat=True)):
            if service_id in by_service:
                return by_service[service_id]
    return next((m for m in mirrors if m.service_id is None), None)


def mirror_event(*, incident: Incident, action: str) -> dict[str, Any]:
    """One Events API v2 event for ``outbox.transports.pagerduty``: the trigger carries
    the incident's summary, severity, details and a link back; acknowledge and resolve
    carry only the dedup key."""
    event: dict[str, Any] = {"event_action": action, "dedup_key": mirror_dedup_key(incident)}
    if action != TRIGGER:
        return event
    link = incident_url(incident.pk)
    return {
        **event,
        "summary": f"[{incident.reference}] {incident.title}"[:1024],
        "severity": SEVERITY_BY_LEVEL.get(incident.severity.level, "info"),
        "component": incident.team.name,
        "custom_details": {
            "reference": incident.reference,
            "severity": incident.severity.name,
            "team": incident.team.name,
            "summary": incident.summary[:2000],
        },
        "links": [{"href": link, "text": f"{incident.reference} in Tocsin"}],
    }


def mirror_message_enqueue(*, delivery: MirrorDelivery) -> Message:
    """The outbox message that carries ``delivery`` (idempotent: its key is the
    delivery's). It names only the delivery: the event is rendered right before the send."""
    return message_enqueue(
        key=mirror_message_key(delivery.pk),
        purpose=PURPOSE,
        transport=Transport.PAGERDUTY,
        address=delivery.mirror.routing_key,
        payload={"delivery": delivery.pk},
        group=f"incident:{delivery.incident_id}",
    )


def mirror_delivery_enqueue(*, incident: Incident, action: str) -> MirrorDelivery | None:
    """Called inside the transaction that changed the incident: the delivery and its
    outbox message commit (or roll back) with the change. A drill is never mirrored: it
    would open a real PagerDuty incident and page people outside the drill."""
    if incident.is_drill:
        return None
    mirror = pagerduty_mirror_for(incident=incident)
    if mirror is None:
        return None
    now = timezone.now()
    delivery = MirrorDelivery.objects.create(
        mirror=mirror,
        incident=incident,
        action=action,
        payload=mirror_event(incident=incident, action=action),
        created_at=now,
        next_attempt_at=now,
    )
    mirror_message_enqueue(delivery=delivery)
    return delivery


def mirror_on_declared(*, incident: Incident) -> None:
    mirror_delivery_enqueue(incident=incident, action=TRIGGER)


def mirror_on_status_changed(
    *, incident: Incident, old_status: str, new_status: str, reopened: bool
) -> None:
    if reopened:
        mirror_delivery_enqueue(incident=incident, action=TRIGGER)
    elif new_status == IncidentStatus.RESOLVED:
        mirror_delivery_enqueue(incident=incident, action=RESOLVE)
    elif old_status == IncidentStatus.TRIGGERED:
        # Any step past "triggered" means someone has it: acknowledged on PagerDuty.
        mirror_delivery_enqueue(incident=incident, action=ACKNOWLEDGE)


def mirror_deliveries_adopt_unsent(*, grace: timedelta = timedelta(minutes=1)) -> int:
    """Pending deliveries that no outbox message carries get one (rows written before
    mirroring went through the outbox, whose own send task is gone): the beat calls this,
    so an upgrade loses no event. One anti-join over the pending rows, usually none.
    Returns how many it handed to the outbox."""
    cutoff = timezone.now() - grace
    carried = Message.objects.filter(
        key=Concat(Value(KEY_PREFIX), Cast(OuterRef("pk"), output_field=CharField()))
    )
    with transaction.atomic():
        orphans = list(
            MirrorDelivery.objects.filter(
                status=MirrorDeliveryStatus.PENDING, next_attempt_at__lt=cutoff
            )
            .exclude(Exists(carried))
            .select_related("mirror")
            .order_by("pk")[:500]
        )
        for delivery in orphans:
            mirror_message_enqueue(delivery=delivery)
    return len(orphans)
