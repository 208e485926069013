"""Mirroring incidents to PagerDuty: trigger on declare (and reopen), acknowledge and
resolve on the matching transitions, dedup key = the Tocsin incident id.

Each event is first written to an outbox row (MirrorDelivery) inside the transaction
that changed the incident; after commit a Celery task sends the incident's pending rows
in order. A failure is recorded on the incident's timeline and retried with back-off;
after PAGERDUTY_MIRROR_MAX_ATTEMPTS the row is marked failed, again on the timeline. A
beat task re-sends rows left pending (broker down, worker lost), so nothing is dropped
silently.
"""

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from common.errors import AccessDenied, Conflict, InvalidInput
from common.history import attribute_history, save_changed
from incidents.alerts.parsers.events import ACKNOWLEDGE, RESOLVE, TRIGGER
from incidents.mirroring import pagerduty
from incidents.mirroring.models import MirrorDelivery, MirrorDeliveryStatus, PagerDutyMirror
from incidents.models import Incident, IncidentStatus, Service, TimelineEventKind
from incidents.services import timeline_event_create
from oncall.teams.models import Team
from oncall.teams.selectors import team_is_manager

SEVERITY_BY_LEVEL = {1: "critical", 2: "error", 3: "warning"}


def mirror_dedup_key(incident: Incident) -> str:
    return str(incident.pk)


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


def _event_for(incident: Incident, action: str) -> dict[str, Any]:
    if action != TRIGGER:
        return {}
    severity = SEVERITY_BY_LEVEL.get(incident.severity.level, "info")
    link = f"{settings.SITE_URL}/api/v1/incidents/{incident.pk}/"
    return {
        "payload": {
            "summary": f"[{incident.reference}] {incident.title}"[:1024],
            "source": "tocsin",
            "severity": severity,
            "component": incident.team.name,
            "custom_details": {
                "reference": incident.reference,
                "severity": incident.severity.name,
                "team": incident.team.name,
                "summary": incident.summary[:2000],
            },
        },
        "links": [{"href": link, "text": f"{incident.reference} in Tocsin"}],
    }


def mirror_delivery_enqueue(*, incident: Incident, action: str) -> MirrorDelivery | None:
    """Called inside the transaction that changed the incident."""
    mirror = pagerduty_mirror_for(incident=incident)
    if mirror is None:
        return None
    now = timezone.now()
    delivery = MirrorDelivery.objects.create(
        mirror=mirror,
        incident=incident,
        action=action,
        payload=_event_for(incident, action),
        created_at=now,
        next_attempt_at=now,
    )
    incident_id = incident.pk

    def _send() -> None:
        from incidents.mirroring.tasks import pagerduty_mirror_flush

        pagerduty_mirror_flush.delay(incident_id)

    transaction.on_commit(_send)
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


@dataclass(frozen=True)
class FlushResult:
    sent: int
    retry: bool  # a delivery failed and may be tried again later
    retry_in: int = 0  # seconds


def mirror_backoff_seconds(attempts: int) -> int:
    """5 s, 10 s, 20 s, … capped at 5 minutes."""
    return min(300, 5 * 2 ** max(0, attempts - 1))


def _record(delivery: MirrorDelivery, message: str, **data: Any) -> None:
    timeline_event_create(
        incident=delivery.incident,
        kind=TimelineEventKind.PAGERDUTY_MIRROR,
        message=message,
        data={"action": delivery.action, "attempts": delivery.attempts, **data},
    )


def mirror_flush(*, incident_id: int) -> FlushResult:
    """Send the incident's pending deliveries in order, each under its row lock (so two
    workers never send the same one). Stops at the first failure to keep the order."""
    sent = 0
    max_attempts = settings.PAGERDUTY_MIRROR_MAX_ATTEMPTS
    while True:
        with transaction.atomic():
            delivery = (
                MirrorDelivery.objects.select_for_update(skip_locked=True)
                .select_related("mirror", "incident")
                .filter(incident_id=incident_id, status=MirrorDeliveryStatus.PENDING)
                .order_by("id")
                .first()
            )
            if delivery is None:
                return FlushResult(sent=sent, retry=False)
            if MirrorDelivery.objects.filter(
                incident_id=incident_id, status=MirrorDeliveryStatus.PENDING, id__lt=delivery.pk
            ).exists():
                return FlushResult(sent=sent, retry=False)  # another worker is on it
            delivery.attempts += 1
            try:
                pagerduty.send_event(
                    routing_key=delivery.mirror.routing_key,
                    action=delivery.action,
                    dedup_key=mirror_dedup_key(delivery.incident),
                    event=delivery.payload,
                )
            except pagerduty.PagerDutyError as exc:
                delivery.last_error = str(exc)
                gave_up = delivery.attempts >= max_attempts
                retry_in = mirror_backoff_seconds(delivery.attempts)
                if gave_up:
                    delivery.status = MirrorDeliveryStatus.FAILED
                delivery.next_attempt_at = timezone.now() + timedelta(seconds=retry_in)
                delivery.save(update_fields=["attempts", "last_error", "status", "next_attempt_at"])
                _record(
                    delivery,
                    (
                        f"PagerDuty {delivery.action} failed after {delivery.attempts} "
                        f"attempts; giving up: {exc}"
                        if gave_up
                        else f"PagerDuty {delivery.action} failed (attempt "
                        f"{delivery.attempts} of {max_attempts}), will retry: {exc}"
                    ),
                    error=str(exc),
                    gave_up=gave_up,
                )
                if gave_up:
                    continue  # the later events still go out, in order
                return FlushResult(sent=sent, retry=True, retry_in=retry_in)
            delivery.status = MirrorDeliveryStatus.SENT
            delivery.sent_at = timezone.now()
            delivery.save(update_fields=["attempts", "status", "sent_at"])
            _record(
                delivery,
                f"Mirrored to PagerDuty: {delivery.action}"
                + (f" (after {delivery.attempts} attempts)" if delivery.attempts > 1 else ""),
            )
            sent += 1


def mirror_stalled_incident_ids(*, grace: timedelta = timedelta(minutes=1)) -> list[int]:
    """Incidents with a delivery whose try is overdue by more than ``grace`` (its task
    was lost: broker down, worker killed): the beat task sends them again."""
    cutoff = timezone.now() - grace
    return list(
        MirrorDelivery.objects.filter(
            status=MirrorDeliveryStatus.PENDING, next_attempt_at__lt=cutoff
        )
        .values_list("incident_id", flat=True)
        .distinct()[:500]
    )
