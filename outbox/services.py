"""Writing, claiming, sending and recording outbox messages.

The life of a message: ``message_enqueue`` writes it in the caller's transaction and,
after that commits, hands its id to a Celery task (``outbox.deliver``) — at its due time.
``message_deliver`` claims it (``messages_claim``: status ``sending`` with a lease, one
short transaction, ``SKIP LOCKED``), sends it with no transaction open and no lock held
(``message_send``), and records the outcome (``_record``) in another short transaction.
The beat sweep (``outbox_sweep``) hands out whatever is overdue: a lost task, a broker
outage, a sender that died holding a lease.

Delivery is at least once. A sender that dies between the send and the record leaves a
lease that expires; the message is then sent again with the same key. Recording is
fenced by the attempt number, so a late sender never overwrites a newer attempt.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User as AuthUser
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from outbox.deadline import call_with_deadline
from outbox.models import Message, MessageStatus, Urgency
from outbox.purposes import NotYet, purpose_for
from outbox.transports import Envelope, TransportError, transport_for

logger = logging.getLogger(__name__)


def message_enqueue(
    *,
    key: str,
    purpose: str,
    transport: str,
    address: str,
    payload: dict[str, Any] | None = None,
    urgency: str = Urgency.HIGH,
    recipient: AuthUser | None = None,
    group: str = "",
    bundle: str = "",
    due_at: datetime | None = None,
) -> Message:
    """Write a message to send (idempotent: the same key returns the message already
    written). Call it inside the transaction that decided to send; delivery starts after
    that commits."""
    now = timezone.now()
    message, created = Message.objects.get_or_create(
        key=key,
        defaults={
            "purpose": purpose,
            "transport": transport,
            "address": address,
            "payload": payload or {},
            "urgency": urgency,
            "recipient": recipient,
            "group": group,
            "bundle": bundle,
            "due_at": due_at or now,
            "created_at": now,
        },
    )
    if created:
        messages_kick([message])
    return message


def messages_kick(messages: list[Message]) -> None:
    """After the commit, hand each message to a delivery task at its due time. A broker
    outage is logged and left to the sweep."""
    due = [(m.pk, m.due_at) for m in messages]
    if not due:
        return

    def enqueue() -> None:
        from celery import current_app

        from outbox import tasks

        now = timezone.now()
        try:
            with current_app.producer_or_acquire() as producer:
                for pk, when in due:
                    tasks.deliver.apply_async(
                        args=(pk,), eta=when if when > now else None, producer=producer
                    )
        except Exception:
            logger.exception("Broker unavailable; the outbox sweep will send %s", due)

    transaction.on_commit(enqueue)


def messages_claim(*, ids: list[int] | None = None, limit: int = 50) -> list[Message]:
    """Claim due messages (or the given ones, if due): queued and due, or sending with an
    expired lease. One short transaction; rows another sender is claiming are skipped."""
    now = timezone.now()
    lease = now + timedelta(seconds=settings.OUTBOX_LEASE_SECONDS)
    due = Q(status=MessageStatus.QUEUED, due_at__lte=now) | Q(
        status=MessageStatus.SENDING, lease_until__lt=now
    )
    with transaction.atomic():
        query = Message.objects.select_for_update(skip_locked=True).filter(due)
        if ids is not None:
            query = query.filter(pk__in=ids)
        claimed = list(query.order_by("due_at", "pk")[:limit])
        for message in claimed:
            message.status = MessageStatus.SENDING
            message.lease_until = lease
            message.attempts += 1
        if claimed:
            Message.objects.bulk_update(claimed, ["status", "lease_until", "attempts"])
    return claimed


def message_deliver(*, message_id: int) -> str:
    """Claim one message, if it is due and nobody else has it, and send it. Returns its
    status afterwards ("" when it was not ours to send)."""
    claimed = messages_claim(ids=[message_id], limit=1)
    if not claimed:
        return ""
    return message_send(claimed[0])


def message_send(message: Message) -> str:
    """Send a claimed message. No transaction may be open here: the network is slow."""
    purpose = purpose_for(message.purpose)
    if _destination_busy(message):
        return _postpone(
            message,
            timezone.now() + timedelta(seconds=settings.OUTBOX_BUSY_RETRY_SECONDS),
            "other messages to this destination are still being sent",
        )
    try:
        content = purpose.prepare(message)
    except NotYet as wait:
        return _postpone(message, wait.until, wait.reason)
    except Exception as exc:
        logger.exception("Rendering outbox message %s failed", message.pk)
        return _record(message, error=f"Could not render the message: {exc}", permanent=False)
    if content is None:
        return _record(message, cancelled=True)
    deadline_seconds = float(settings.OUTBOX_SEND_DEADLINE_SECONDS)
    envelope = Envelope(
        key=message.key,
        address=message.address,
        content=content,
        deadline=time.monotonic() + deadline_seconds,
    )
    try:
        sender = transport_for(message.transport)
        provider_id = call_with_deadline(lambda: sender(envelope), deadline_seconds)
    except TransportError as exc:
        return _record(
            message, error=str(exc), permanent=exc.permanent, retry_after=exc.retry_after
        )
    except Exception as exc:  # a library's own error must not escape as anything else
        logger.exception("Transport %s raised", message.transport)
        return _record(message, error=f"{type(exc).__name__}: {exc}", permanent=False)
    return _record(message, provider_id=provider_id or "")


def _destination_busy(message: Message) -> bool:
    """Whether OUTBOX_MAX_IN_FLIGHT_PER_DESTINATION other messages to the same address are
    being sent right now: a destination that hangs then holds that many senders, never
    all of them, and the rest of its messages wait a moment instead."""
    limit = settings.OUTBOX_MAX_IN_FLIGHT_PER_DESTINATION
    if not limit:
        return False
    in_flight = (
        Message.objects.filter(
            transport=message.transport,
            address=message.address,
            status=MessageStatus.SENDING,
            lease_until__gt=timezone.now(),
        )
        .exclude(pk=message.pk)
        .values("pk")[:limit]
    )
    return len(in_flight) >= limit


def retry_delay_seconds(attempts: int) -> float:
    """Back-off before attempt ``attempts + 1``: base, twice that, four times … capped."""
    return float(
        min(
            settings.OUTBOX_RETRY_MAX_SECONDS,
            settings.OUTBOX_RETRY_BASE_SECONDS * 2 ** max(0, attempts - 1),
        )
    )


def _record(
    message: Message,
    *,
    provider_id: str = "",
    error: str = "",
    permanent: bool = False,
    retry_after: float | None = None,
    cancelled: bool = False,
) -> str:
    """Record one attempt's outcome, fenced by the attempt number: if another sender has
    claimed the message since (our lease expired), its attempt wins and ours is dropped."""
    purpose = purpose_for(message.purpose)
    now = timezone.now()
    with transaction.atomic():
        row = (
            Message.objects.select_for_update()
            .filter(pk=message.pk, status=MessageStatus.SENDING, attempts=message.attempts)
            .first()
        )
        if row is None:
            return ""
        row.lease_until = None
        if cancelled:
            row.status = MessageStatus.CANCELLED
        elif not error:
            row.status = MessageStatus.SENT
            row.sent_at = now
            row.provider_id = provider_id[:200]
            row.last_error = ""
        else:
            row.last_error = error[:2000]
            final = permanent or row.attempts >= settings.OUTBOX_MAX_ATTEMPTS
            if final:
                row.status = MessageStatus.FAILED
            else:
                row.status = MessageStatus.QUEUED
                delay = retry_delay_seconds(row.attempts)
                if retry_after is not None:
                    delay = max(delay, min(retry_after, settings.OUTBOX_RETRY_MAX_SECONDS))
                row.due_at = now + timedelta(seconds=delay)
        row.save()
        if row.status == MessageStatus.SENT and purpose.sent:
            purpose.sent(row)
        elif error and purpose.failed:
            purpose.failed(row, row.status == MessageStatus.FAILED)
        if row.status == MessageStatus.QUEUED:
            messages_kick([row])
    if error:
        logger.warning("Outbox message %s (%s): %s", row.pk, row.purpose, error)
    return row.status


def _postpone(message: Message, until: datetime, reason: str) -> str:
    """Queue a claimed message again for ``until``, giving back the attempt it took."""
    updated = Message.objects.filter(
        pk=message.pk, status=MessageStatus.SENDING, attempts=message.attempts
    ).update(
        status=MessageStatus.QUEUED,
        due_at=until,
        lease_until=None,
        attempts=message.attempts - 1,
        updated_at=timezone.now(),
    )
    if not updated:
        return ""
    message.due_at = until
    with transaction.atomic():
        messages_kick([message])
    logger.info("Outbox message %s waits until %s: %s", message.pk, until, reason)
    return MessageStatus.QUEUED


def messages_cancel(*, group: str, purpose: str | None = None) -> int:
    """Cancel what is still queued in ``group`` (a message being sent goes out)."""
    query = Message.objects.filter(group=group, status=MessageStatus.QUEUED)
    if purpose:
        query = query.filter(purpose=purpose)
    return query.update(status=MessageStatus.CANCELLED, updated_at=timezone.now())


def outbox_sweep(*, limit: int = 500) -> int:
    """Beat: hand out what is overdue — queued past its due time plus a grace (its task
    was lost), or sending past its lease (its sender died). Cheap when there is nothing:
    two index range scans. Returns how many messages were handed out."""
    now = timezone.now()
    grace = now - timedelta(seconds=settings.OUTBOX_SWEEP_GRACE_SECONDS)
    ids = list(
        Message.objects.filter(
            Q(status=MessageStatus.QUEUED, due_at__lte=grace)
            | Q(status=MessageStatus.SENDING, lease_until__lt=now)
        )
        .order_by("due_at")
        .values_list("pk", flat=True)[:limit]
    )
    if not ids:
        return 0
    from celery import current_app

    from outbox import tasks

    with current_app.producer_or_acquire() as producer:
        for pk in ids:
            tasks.deliver.apply_async(args=(pk,), producer=producer)
    return len(ids)


def outbox_send_due(*, limit: int = 100) -> int:
    """Claim and send every due message in this process, one after another (the command
    line and tests use it; workers use ``message_deliver``). Each is claimed just before
    it is sent, so a claimed message is always one in flight."""
    done = 0
    while done < limit:
        claimed = messages_claim(limit=1)
        if not claimed:
            break
        message_send(claimed[0])
        done += 1
    return done
