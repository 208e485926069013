"""What the outbox asks of the mirroring room: the "mirroring.event" purpose.
``register()`` is called once at start-up.

A message names one ``MirrorDelivery``. Right before each send, ``prepare`` renders the
event from the incident as it is then, and makes it wait (``NotYet``, no attempt used)
while an earlier event of the same incident is still on its way, so PagerDuty hears
trigger → acknowledge → resolve in that order even when the trigger is retried. An
event that failed for good no longer holds the later ones back. The outcome updates the
delivery (status, attempts, last error, sent time) and the incident's timeline, inside
the outbox's short recording transaction.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from incidents.mirroring.models import MirrorDelivery, MirrorDeliveryStatus
from incidents.mirroring.services import (
    PURPOSE,
    mirror_event,
    mirror_message_enqueue,
    mirror_message_key,
)
from incidents.models import TimelineEventKind
from incidents.services import timeline_event_create
from outbox.models import Message, MessageStatus
from outbox.purposes import NotYet, Purpose, purpose_register

# How long an event waits before looking again whether the earlier ones went out. It
# also waits at least until the earliest of them is due again (a retry backing off).
ORDER_WAIT = timedelta(seconds=2)
_ON_ITS_WAY = (MessageStatus.QUEUED, MessageStatus.SENDING)


def _delivery(message: Message) -> MirrorDelivery | None:
    delivery_id = (message.payload or {}).get("delivery")
    if delivery_id is None:
        return None
    return (
        MirrorDelivery.objects.select_related("incident__team", "incident__severity", "mirror")
        .filter(pk=delivery_id)
        .first()
    )


def _wait_for_earlier(delivery: MirrorDelivery) -> None:
    """Raise ``NotYet`` while an earlier pending event of the incident is on its way (its
    message queued, or being sent). An earlier pending event that no message carries (it
    was written before mirroring went through the outbox) is handed to the outbox first."""
    earlier = list(
        MirrorDelivery.objects.filter(
            incident_id=delivery.incident_id,
            status=MirrorDeliveryStatus.PENDING,
            pk__lt=delivery.pk,
        )
        .select_related("mirror")
        .order_by("pk")
    )
    if not earlier:
        return
    messages = {
        m.key: m
        for m in Message.objects.filter(key__in=[mirror_message_key(d.pk) for d in earlier])
    }
    orphans = [d for d in earlier if mirror_message_key(d.pk) not in messages]
    if orphans:
        with transaction.atomic():
            for orphan in orphans:
                message = mirror_message_enqueue(delivery=orphan)
                messages[message.key] = message
    waiting = [m for m in messages.values() if m.status in _ON_ITS_WAY]
    if not waiting:
        return
    # None of them can go out before it is due, so looking again earlier is pointless.
    until = max(
        [timezone.now() + ORDER_WAIT]
        + [m.due_at for m in waiting if m.status == MessageStatus.QUEUED]
    )
    raise NotYet(until, f"an earlier PagerDuty event of incident {delivery.incident_id} is pending")


def prepare(message: Message) -> dict[str, Any] | None:
    delivery = _delivery(message)
    if delivery is None or delivery.status != MirrorDeliveryStatus.PENDING:
        return None  # the incident or the mirror is gone, or it was settled already
    _wait_for_earlier(delivery)
    return {"events": [mirror_event(incident=delivery.incident, action=delivery.action)]}


def _record(delivery: MirrorDelivery, text: str, **data: Any) -> None:
    timeline_event_create(
        incident=delivery.incident,
        kind=TimelineEventKind.PAGERDUTY_MIRROR,
        message=text,
        data={"action": delivery.action, "attempts": delivery.attempts, **data},
    )


def sent(message: Message) -> None:
    delivery = _delivery(message)
    if delivery is None or delivery.status != MirrorDeliveryStatus.PENDING:
        return
    delivery.status = MirrorDeliveryStatus.SENT
    delivery.attempts = message.attempts
    delivery.sent_at = message.sent_at
    delivery.save(update_fields=["status", "attempts", "sent_at"])
    _record(
        delivery,
        f"Mirrored to PagerDuty: {delivery.action}"
        + (f" (after {delivery.attempts} attempts)" if delivery.attempts > 1 else ""),
    )


def failed(message: Message, final: bool) -> None:
    """Each failed attempt is on the timeline; the last one (attempts used up, or an
    answer that retrying cannot change) marks the delivery failed, and the incident's
    later events go out without it."""
    delivery = _delivery(message)
    if delivery is None or delivery.status != MirrorDeliveryStatus.PENDING:
        return
    delivery.attempts = message.attempts
    delivery.last_error = message.last_error
    if final:
        delivery.status = MirrorDeliveryStatus.FAILED
    else:
        delivery.next_attempt_at = message.due_at
    delivery.save(update_fields=["status", "attempts", "last_error", "next_attempt_at"])
    error = message.last_error
    attempts = delivery.attempts
    _record(
        delivery,
        (
            f"PagerDuty {delivery.action} failed after {attempts} "
            f"attempt{'s' if attempts != 1 else ''}; giving up: {error}"
            if final
            else f"PagerDuty {delivery.action} failed (attempt {attempts} of "
            f"{settings.OUTBOX_MAX_ATTEMPTS}), will retry: {error}"
        ),
        error=error,
        gave_up=final,
    )


def register() -> None:
    """Tell the outbox how to render mirrored events and what their outcome changes."""
    purpose_register(Purpose(PURPOSE, prepare=prepare, sent=sent, failed=failed))
