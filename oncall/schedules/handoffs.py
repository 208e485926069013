"""Handoff records and shift notifications, run by a beat task every minute.

Each shift is recorded (who, which schedule, from, to) once it has started, so reports about
the past do not change when someone edits the schedule later. Users who asked for it get an
email N hours (0–48) before their shift starts and one when it ends. Each notice is an
outbox message under a key naming the schedule, the user, the shift's start and the kind
of notice (``oncall.shift_notice:<schedule>:<user>:<start>:<kind>``): a second run writes
nothing new, and the outbox sends it after the write, at least once, with a Message-ID
derived from the key; nothing is sent while a transaction is open.
"""

import logging
from datetime import UTC, datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from oncall.contacts.models import OnCallPreference
from oncall.schedules.models import Handoff
from oncall.schedules.selectors import schedule_queryset, schedule_shifts
from outbox.models import Message, Transport
from outbox.services import message_enqueue

logger = logging.getLogger(__name__)


LOOKBACK = timedelta(days=35)


LOOKAHEAD = timedelta(hours=49)

SHIFT_NOTICE = "oncall.shift_notice"
BEFORE_START = "before_start"
ENDED = "ended"


def shift_notice_key(*, schedule_id: int, user_id: int, shift_start: datetime, kind: str) -> str:
    start = shift_start.astimezone(UTC).isoformat()
    return f"{SHIFT_NOTICE}:{schedule_id}:{user_id}:{start}:{kind}"


def handoffs_record(*, now: datetime | None = None) -> int:
    """Record every shift that has started; returns how many new handoffs were recorded."""
    now = now or timezone.now()
    created = 0
    for schedule in schedule_queryset():
        try:
            shifts = schedule_shifts(schedule=schedule, start=now - LOOKBACK, end=now + LOOKAHEAD)
        except ValueError:
            logger.exception("Schedule %s cannot be computed", schedule.pk)
            continue
        known = set(
            Handoff.objects.filter(schedule=schedule, start__gte=now - LOOKBACK).values_list(
                "user_id", "start"
            )
        )
        for shift in shifts:
            if shift.start > now or shift.start <= now - LOOKBACK:
                continue
            if (shift.user, shift.start) in known:
                continue
            try:
                with transaction.atomic():
                    Handoff.objects.create(
                        schedule=schedule,
                        user_id=shift.user,
                        start=shift.start,
                        end=shift.end,
                        recorded_at=now,
                    )
                created += 1
            except IntegrityError:
                pass  # recorded concurrently
        _notify(schedule, shifts, now)
    return created


def _notify(schedule, shifts, now: datetime) -> None:
    """Write the shift notices that are due and not written yet (one query for the keys
    already written)."""
    users = {shift.user for shift in shifts}
    preferences = {
        p.user_id: p
        for p in OnCallPreference.objects.filter(user_id__in=users).select_related("user")
    }
    due = []
    for shift in shifts:
        preference = preferences.get(shift.user)
        if preference is None or not preference.user.is_active or not preference.user.email:
            continue
        hours = preference.notify_hours_before_shift
        upcoming = shift.start > now - timedelta(minutes=5)
        if hours is not None and upcoming and shift.start - timedelta(hours=hours) <= now:
            due.append(
                (
                    shift,
                    preference.user,
                    BEFORE_START,
                    f"Your on-call shift on {schedule.name} starts "
                    f"{shift.start:%Y-%m-%d %H:%M} UTC",
                )
            )
        if preference.notify_at_shift_end and shift.end <= now < shift.end + timedelta(hours=1):
            due.append(
                (shift, preference.user, ENDED, f"Your on-call shift on {schedule.name} has ended")
            )
    keys = {
        shift_notice_key(
            schedule_id=schedule.pk, user_id=user.pk, shift_start=shift.start, kind=kind
        ): (shift, user, subject)
        for shift, user, kind, subject in due
    }
    written = set(Message.objects.filter(key__in=list(keys)).values_list("key", flat=True))
    for key, (shift, user, subject) in keys.items():
        if key not in written:
            _notice_enqueue(schedule, shift, user, key, subject)


def _notice_enqueue(schedule, shift, user, key: str, subject: str) -> None:
    message_enqueue(
        key=key,
        purpose=SHIFT_NOTICE,
        transport=Transport.EMAIL,
        address=user.email,
        payload={
            "subject": subject,
            "text": f"{subject}.\nShift: {shift.start:%Y-%m-%d %H:%M} – "
            f"{shift.end:%Y-%m-%d %H:%M} UTC.",
        },
        recipient=user,
        group=f"schedule:{schedule.pk}",
    )
