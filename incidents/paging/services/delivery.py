"""Delivering pages: each contact method's due pages go out as one bundled message.

``pages_deliver`` locks the contact method row and its queued pages (SKIP LOCKED) and
sends while holding them, so two workers never send the same pages. A page of an
incident no longer triggered is cancelled. The method's throttle
(``min_interval_seconds``) holds pages back instead of dropping them; a failure is
recorded on the pages and retried with exponential backoff up to PAGING_MAX_ATTEMPTS.
Delivery is at least once. Also here: the contact methods a person is paged through (the
account's e-mail address by default) and the signed one-click acknowledge token.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core import signing
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from incidents.models import IncidentStatus
from incidents.paging.models import Page, PageStatus
from incidents.paging.services.enqueue import task_enqueue_safely
from oncall.contacts import channels
from oncall.contacts.models import ContactKind, ContactMethod

logger = logging.getLogger(__name__)
ACK_SALT = "tocsin.incident-ack"


def contact_methods_for_paging(*, user: AbstractBaseUser) -> list[ContactMethod]:
    """The user's enabled contact methods; with none at all, the account's email address
    becomes their first contact method (so everybody is reachable by default)."""
    methods = list(ContactMethod.objects.filter(user=user, enabled=True).order_by("pk"))
    if methods:
        return methods
    if ContactMethod.objects.filter(user=user).exists() or not getattr(user, "email", ""):
        return []
    try:
        with transaction.atomic():
            method = ContactMethod.objects.create(
                user=user,
                kind=ContactKind.EMAIL,
                label="Account email",
                address=user.email,
                account_default=True,
                min_interval_seconds=settings.PAGING_DEFAULT_MIN_INTERVAL.get("email", 0),
            )
    except IntegrityError:  # created by a concurrent sweep, which has committed by now
        method = ContactMethod.objects.get(user=user, account_default=True)
    return [method]


def contact_method_throttled_until(*, method: ContactMethod, now: datetime) -> datetime:
    """When the method may send again: ``now``, or later while its throttle holds."""
    if method.min_interval_seconds and method.last_sent_at is not None:
        return max(now, method.last_sent_at + timedelta(seconds=method.min_interval_seconds))
    return now


def ack_token(*, incident_id: int, user_id: int) -> str:
    return signing.dumps({"i": incident_id, "u": user_id}, salt=ACK_SALT)


def ack_token_read(token: str) -> tuple[int, int]:
    """(incident_id, user_id); raises ``signing.BadSignature`` (or ``SignatureExpired``)."""
    data = signing.loads(token, salt=ACK_SALT, max_age=settings.ACK_LINK_MAX_AGE_SECONDS)
    return int(data["i"]), int(data["u"])


def _message(pages: list[Page], user: AbstractBaseUser) -> channels.Message:
    items = []
    seen: set[int] = set()
    for page in pages:
        incident = page.incident
        if incident.pk in seen:
            continue
        seen.add(incident.pk)
        token = ack_token(incident_id=incident.pk, user_id=user.pk)
        items.append(
            channels.MessageItem(
                incident_id=incident.pk,
                reference=incident.reference,
                title=incident.title,
                severity=incident.severity.name,
                status=incident.status,
                url=f"{settings.SITE_URL}/api/v1/incidents/{incident.pk}/",
                ack_url=settings.SITE_URL + reverse("incident-ack-link", args=[token]),
                level=page.level,
            )
        )
    return channels.Message(
        recipient_username=user.get_username(),
        items=tuple(items),
        page_ids=tuple(p.pk for p in pages),
    )


def pages_deliver(*, contact_method_id: int) -> int:
    """Send every due queued page of one contact method as one (bundled) message.

    The contact method row is locked (skip_locked) while sending, so two workers never send
    the same pages; the throttle holds pages back instead of dropping them; a failure is
    recorded on the pages and retried with exponential backoff up to PAGING_MAX_ATTEMPTS.
    Returns how many pages were sent."""
    from incidents.paging import tasks

    retry_at: datetime | None = None
    with transaction.atomic():
        method = (
            ContactMethod.objects.select_for_update(skip_locked=True)
            .select_related("user")
            .filter(pk=contact_method_id)
            .first()
        )
        if method is None:
            return 0
        now = timezone.now()
        queued = list(
            Page.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(contact_method=method, status=PageStatus.QUEUED, not_before__lte=now)
            .select_related("incident__team", "incident__severity")
            .order_by("created_at", "pk")
        )
        due: list[Page] = []
        for page in queued:
            if page.incident.status != IncidentStatus.TRIGGERED:
                page.status = PageStatus.CANCELLED
                page.error = f"Cancelled: the incident is {page.incident.status}."
                page.save(update_fields=["status", "error", "updated_at"])
            else:
                due.append(page)
        if not due:
            return 0
        if not method.enabled or not method.user.is_active:
            for page in due:
                page.status = PageStatus.FAILED
                page.error = "Contact method disabled or user deactivated."
                page.save(update_fields=["status", "error", "updated_at"])
            return 0
        throttle_end = contact_method_throttled_until(method=method, now=now)
        if throttle_end > now:
            for page in due:
                page.not_before = throttle_end
                page.save(update_fields=["not_before", "updated_at"])
            retry_at = throttle_end
            sent = 0
        else:
            sent = _send(method, due, now)
            if sent == 0:
                retry_at = min(
                    (p.not_before for p in due if p.status == PageStatus.QUEUED), default=None
                )
        if retry_at is not None:
            when = retry_at
            transaction.on_commit(
                lambda: task_enqueue_safely(tasks.deliver_pages, method.pk, eta=when)
            )
    return sent


def _send(method: ContactMethod, pages: list[Page], now: datetime) -> int:
    message = _message(pages, method.user)
    try:
        channels.send(method, message)
    except channels.DeliveryError as exc:
        error = str(exc)[:2000]
        for page in pages:
            page.attempts += 1
            page.error = error
            if page.attempts >= settings.PAGING_MAX_ATTEMPTS:
                page.status = PageStatus.FAILED
            else:
                backoff = settings.PAGING_RETRY_BASE_SECONDS * 2 ** (page.attempts - 1)
                page.not_before = now + timedelta(seconds=backoff)
            page.save(update_fields=["attempts", "error", "status", "not_before", "updated_at"])
        method.last_error = error
        method.last_failed_at = now
        method.save(update_fields=["last_error", "last_failed_at"])
        logger.warning("Delivery through contact method %s failed: %s", method.pk, error)
        return 0
    for page in pages:
        page.attempts += 1
        page.status = PageStatus.SENT
        page.sent_at = now
        page.bundle_size = len(message.items)
        page.save(update_fields=["attempts", "status", "sent_at", "bundle_size", "updated_at"])
    method.last_sent_at = now
    method.save(update_fields=["last_sent_at"])
    return len(pages)


def pages_deliver_due() -> int:
    """Sweep part two: deliver queued pages whose delivery task was lost or is late."""
    now = timezone.now()
    contact_ids = (
        Page.objects.filter(status=PageStatus.QUEUED, not_before__lte=now)
        .values_list("contact_method_id", flat=True)
        .distinct()
    )
    return sum(pages_deliver(contact_method_id=cid) for cid in list(contact_ids) if cid)
