"""Delivering pages through the outbox.

A page is written with the outbox message that carries it, in the transaction of the
escalation step (``pages_attach_messages``); the outbox sends it after the commit with
no lock held, and tells this module the outcome (``register``: the "paging.page"
purpose). Right before each send the message is rendered from its pages as they are
then (``_prepare``): a page whose incident is no longer triggered is cancelled, so an
acknowledgement stops what is queued both when it happens (``pages_cancel``) and at the
last moment. Several pages for one contact method due together share a message (a
bundle, whose subject names the highest severity and the count).

When a page is due depends on its urgency: high urgency at once (and after the person's
own notification-rule delay), never held back by a throttle; low urgency waits for the
contact method's throttle and for the person's working hours in their own time zone.
Delivery is at least once: a repeat after a crash carries the same idempotency key.

Also here: the contact methods a person is paged through (the account's email address
by default) and the signed one-click acknowledge token.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core import signing
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone

from common.zones import working_hours_next
from incidents.links import incident_url
from incidents.models import IncidentStatus, TimelineEvent, TimelineEventKind
from incidents.paging.models import Page, PageStatus
from oncall.contacts import channels
from oncall.contacts.models import ContactKind, ContactMethod, OnCallPreference
from outbox.models import Message, MessageStatus, Urgency
from outbox.purposes import NotYet, Purpose, purpose_register
from outbox.services import messages_kick

logger = logging.getLogger(__name__)
ACK_SALT = "tocsin.incident-ack"
PURPOSE = "paging.page"


def contact_methods_for_paging(*, user: AbstractBaseUser) -> list[ContactMethod]:
    """The user's contact methods that can page (enabled, verified where a code is
    needed); with none at all, the account's email address becomes their first contact
    method (so everybody is reachable by default)."""
    methods = [
        m
        for m in ContactMethod.objects.filter(user=user, enabled=True).order_by("pk")
        if getattr(m, "pageable", True)
    ]
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


def page_due_at(
    *,
    method: ContactMethod,
    urgency: str,
    at: datetime,
    preference: OnCallPreference | None,
) -> datetime:
    """When a page through ``method`` that is wanted ``at`` goes out: at once for high
    urgency; for low urgency after the method's throttle and within the person's working
    hours (in their time zone), never waking anyone."""
    if urgency == Urgency.HIGH:
        return at
    due = contact_method_throttled_until(method=method, now=at)
    if preference is None:
        return due
    return working_hours_next(
        due,
        time_zone=preference.time_zone,
        starts=preference.work_starts,
        ends=preference.work_ends,
        days=preference.work_days,
    )


def ack_token(*, incident_id: int, user_id: int, reopen_count: int = 0) -> str:
    """A signed link token for one person and one escalation of the incident: the
    incident's ``reopen_count`` is part of it, so a link sent before a resolve never
    acknowledges the incident once it is reopened."""
    return signing.dumps({"i": incident_id, "u": user_id, "r": reopen_count}, salt=ACK_SALT)


def ack_token_read(token: str) -> tuple[int, int, int]:
    """(incident_id, user_id, reopen_count); raises ``signing.BadSignature`` (or
    ``SignatureExpired``). Tokens from before the count was carried read as 0."""
    data = signing.loads(token, salt=ACK_SALT, max_age=settings.ACK_LINK_MAX_AGE_SECONDS)
    return int(data["i"]), int(data["u"]), int(data.get("r", 0))


def page_key(page: Page) -> str:
    """The idempotency key of the message that first carries ``page``: the page's own
    identity (one page per step, person and contact method)."""
    return (
        f"page:{page.incident_id}:{page.run}:{page.loop}:{page.level}:"
        f"{page.user_id}:{page.contact_method_id}"
    )


def _bundle(page: Page, urgency: str) -> str:
    # A drill's page never shares a message with a real one: the bundle's subject would
    # say DRILL over a real incident.
    drill = ":drill" if page.incident.is_drill else ""
    return f"contact:{page.contact_method_id}:{urgency}{drill}"


def pages_attach_messages(pages: list[Page], *, urgency_of: dict[int, str]) -> None:
    """Give each queued page (not yet saved) the outbox message that will carry it.

    Pages for one contact method and urgency due together share a message, at most
    PAGING_BUNDLE_MAX_PAGES of them. High urgency bundles only the pages of this very
    batch (written in this transaction, due now): it never joins, and so never waits
    on, a message another transaction holds. Low urgency also joins a queued message
    already written, due within OUTBOX_BUNDLE_WINDOW_SECONDS, that no sender has claimed
    (its row locked, SKIP LOCKED); a joined message is handed out again after the commit,
    since a sender that found it locked meanwhile gave up on it. The rest get new
    messages, written in bulk. Runs inside the step's transaction."""
    queued = [p for p in pages if p.status == PageStatus.QUEUED and p.contact_method_id]
    if not queued:
        return
    window = timedelta(seconds=settings.OUTBOX_BUNDLE_WINDOW_SECONDS)
    cap = settings.PAGING_BUNDLE_MAX_PAGES
    now = timezone.now()
    open_messages: dict[str, list[Message]] = {}
    sizes: dict[int, int] = {}
    low_bundles = {
        _bundle(p, Urgency.LOW) for p in queued if urgency_of[p.incident_id] == Urgency.LOW
    }
    if low_bundles:
        existing = list(
            Message.objects.select_for_update(skip_locked=True)
            .filter(bundle__in=low_bundles, status=MessageStatus.QUEUED, purpose=PURPOSE)
            .order_by("due_at")
        )
        counts = dict(
            Page.objects.filter(message__in=existing)
            .values("message_id")
            .annotate(n=Count("id"))
            .values_list("message_id", "n")
        )
        for message in existing:
            open_messages.setdefault(message.bundle, []).append(message)
            sizes[id(message)] = counts.get(message.pk, 0)
    new: list[Message] = []
    joined: dict[int, Message] = {}
    for page in queued:
        urgency = urgency_of[page.incident_id]
        bundle = _bundle(page, urgency)
        joinable = [
            m
            for m in open_messages.get(bundle, [])
            if sizes[id(m)] < cap and abs(m.due_at - page.not_before) <= window
        ]
        if joinable:
            page.message = joinable[0]
            sizes[id(joinable[0])] += 1
            if joinable[0].pk is not None:
                joined[joinable[0].pk] = joinable[0]
            continue
        method = page.contact_method
        message = Message(
            key=page_key(page),
            purpose=PURPOSE,
            transport=_transport_of(method),
            address=method.address.strip(),
            urgency=urgency,
            recipient_id=page.user_id,
            group=f"incident:{page.incident_id}",
            bundle=bundle,
            due_at=page.not_before,
            created_at=now,
        )
        new.append(message)
        open_messages.setdefault(bundle, []).append(message)
        sizes[id(message)] = 1
        page.message = message
    if new:
        Message.objects.bulk_create(new, ignore_conflicts=True)
        # ignore_conflicts leaves no ids (and a key may exist from an earlier attempt of
        # this very step): read them back by key.
        ids = dict(Message.objects.filter(key__in=[m.key for m in new]).values_list("key", "pk"))
        for message in new:
            message.pk = ids[message.key]
    messages_kick([*new, *joined.values()])
    for page in queued:
        page.message_id = page.message.pk


def _transport_of(method: ContactMethod) -> str:
    return method.kind


def pages_cancel(*, incident_id: int, reason: str) -> int:
    """Cancel the incident's queued pages, and the messages left carrying nothing else.
    A page whose message a sender has already claimed is on its way: it is left to be
    recorded as sent (or failed). Runs in the transaction that acknowledges or resolves:
    no network involved, no wait for a sender."""
    queued = Page.objects.filter(incident_id=incident_id, status=PageStatus.QUEUED).filter(
        Q(message__isnull=True) | Q(message__status=MessageStatus.QUEUED)
    )
    message_ids = set(queued.filter(message__isnull=False).values_list("message_id", flat=True))
    cancelled = Page.objects.filter(pk__in=list(queued.values_list("pk", flat=True))).update(
        status=PageStatus.CANCELLED, error=f"Cancelled: {reason}."
    )
    if message_ids:
        still_carrying = set(
            Page.objects.filter(message_id__in=message_ids, status=PageStatus.QUEUED)
            .values_list("message_id", flat=True)
            .distinct()
        )
        Message.objects.filter(
            pk__in=message_ids - still_carrying, status=MessageStatus.QUEUED
        ).update(status=MessageStatus.CANCELLED, updated_at=timezone.now())
    return cancelled


def _message(pages: list[Page], user: AbstractBaseUser) -> channels.Message:
    items = []
    seen: set[int] = set()
    for page in pages:
        incident = page.incident
        if incident.pk in seen:
            continue
        seen.add(incident.pk)
        token = ack_token(
            incident_id=incident.pk, user_id=user.pk, reopen_count=incident.reopen_count
        )
        items.append(
            channels.MessageItem(
                incident_id=incident.pk,
                reference=incident.reference,
                title=incident.title,
                severity=incident.severity.name,
                severity_level=incident.severity.level,
                status=incident.status,
                url=incident_url(incident.pk),
                ack_url=settings.SITE_URL + reverse("web:incident-ack-link", args=[token]),
                level=page.level,
                drill=incident.is_drill,
            )
        )
    return channels.Message(
        recipient_username=user.get_username(),
        items=tuple(items),
        page_ids=tuple(p.pk for p in pages),
    )


def _prepare(message: Message) -> dict | None:
    """Render the message from its pages as they are now, outside any transaction:
    pages of incidents no longer triggered are cancelled; none left, nothing is sent."""
    pages = list(
        Page.objects.filter(message=message, status=PageStatus.QUEUED)
        .select_related("incident__team", "incident__severity", "contact_method", "user")
        .order_by("incident__severity__level", "created_at", "pk")
    )
    live = [p for p in pages if p.incident.status == IncidentStatus.TRIGGERED]
    stale = [p.pk for p in pages if p.incident.status != IncidentStatus.TRIGGERED]
    if stale:
        Page.objects.filter(pk__in=stale, status=PageStatus.QUEUED).update(
            status=PageStatus.CANCELLED, error="Cancelled: acknowledged before it went out."
        )
    if not live:
        return None
    method, user = live[0].contact_method, live[0].user
    if method is None or not method.enabled or not user.is_active:
        Page.objects.filter(pk__in=[p.pk for p in live]).update(
            status=PageStatus.FAILED, error="Contact method disabled or user deactivated."
        )
        return None
    if message.urgency == Urgency.LOW:
        # The throttle holds low urgency back at the last moment too: another message may
        # have gone out through this method since this one was queued.
        now = timezone.now()
        allowed = contact_method_throttled_until(method=method, now=now)
        if allowed > now:
            raise NotYet(allowed, "the contact method's throttle")
    return channels.render(method, _message(live, user)).content


def _sent(message: Message) -> None:
    pages = Page.objects.filter(message=message).exclude(status=PageStatus.CANCELLED)
    bundle_size = pages.values("incident_id").distinct().count()
    pages.update(
        status=PageStatus.SENT,
        sent_at=message.sent_at,
        attempts=message.attempts,
        bundle_size=bundle_size,
        error="",
    )
    ContactMethod.objects.filter(pages__message=message).update(last_sent_at=message.sent_at)


def _failed(message: Message, final: bool) -> None:
    """A failed attempt shows on the contact method (the person sees it); a final failure
    marks the pages failed and says so on each incident's timeline."""
    now = timezone.now()
    pages = list(
        Page.objects.filter(message=message, status=PageStatus.QUEUED).select_related("user")
    )
    Page.objects.filter(pk__in=[p.pk for p in pages]).update(
        attempts=message.attempts,
        error=message.last_error,
        not_before=message.due_at,
        **({"status": PageStatus.FAILED} if final else {}),
    )
    ContactMethod.objects.filter(pages__message=message).update(
        last_error=message.last_error, last_failed_at=now
    )
    if not final:
        return
    TimelineEvent.objects.bulk_create(
        TimelineEvent(
            incident_id=page.incident_id,
            kind=TimelineEventKind.ESCALATION,
            message=f"Page to {page.user.get_username()} via {page.channel} failed after "
            f"{message.attempts} attempt{'s' if message.attempts != 1 else ''}: "
            f"{message.last_error}",
            data={"event": "page_failed", "page": page.pk, "message": message.pk},
            created_at=now,
        )
        for page in pages
    )


def register() -> None:
    """Tell the outbox how to render pages and what their outcome changes."""
    purpose_register(Purpose(PURPOSE, prepare=_prepare, sent=_sent, failed=_failed))


def pages_adopt_unsent() -> int:
    """Queued pages that no outbox message carries (written before the outbox existed)
    get one: the sweep calls this, so an upgrade loses no page."""
    with transaction.atomic():
        pages = list(
            Page.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(status=PageStatus.QUEUED, message__isnull=True, contact_method__isnull=False)
            .select_related("contact_method", "incident__severity")[:500]
        )
        if not pages:
            return 0
        pages_attach_messages(pages, urgency_of={p.incident_id: Urgency.HIGH for p in pages})
        Page.objects.bulk_update(pages, ["message"])
    return len(pages)
