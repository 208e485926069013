"""Handoff records and shift notifications, run by a beat task every minute.

Each shift is recorded (who, which schedule, from, to) once it has started, so reports about
the past do not change when someone edits the schedule later. Users who asked for it get an
email N hours (0–48) before their shift starts and one when it ends; ``ShiftNotice`` rows
remember what was sent, so running twice or concurrently sends nothing twice.
"""

import logging
from datetime import datetime, timedelta

from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from oncall.contacts.models import OnCallPreference
from oncall.schedules.models import Handoff, ShiftNotice
from oncall.schedules.selectors import schedule_queryset, schedule_shifts

logger = logging.getLogger(__name__)


LOOKBACK = timedelta(days=35)


LOOKAHEAD = timedelta(hours=49)


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
    users = {shift.user for shift in shifts}
    preferences = {
        p.user_id: p
        for p in OnCallPreference.objects.filter(user_id__in=users).select_related("user")
    }
    for shift in shifts:
        preference = preferences.get(shift.user)
        if preference is None or not preference.user.is_active or not preference.user.email:
            continue
        hours = preference.notify_hours_before_shift
        upcoming = shift.start > now - timedelta(minutes=5)
        if hours is not None and upcoming and shift.start - timedelta(hours=hours) <= now:
            _send_once(
                schedule,
                shift,
                preference.user,
                ShiftNotice.Kind.BEFORE_START,
                f"Your on-call shift on {schedule.name} starts {shift.start:%Y-%m-%d %H:%M} UTC",
                now,
            )
        if preference.notify_at_shift_end and shift.end <= now < shift.end + timedelta(hours=1):
            _send_once(
                schedule,
                shift,
                preference.user,
                ShiftNotice.Kind.ENDED,
                f"Your on-call shift on {schedule.name} has ended",
                now,
            )


def _send_once(schedule, shift, user, kind: str, subject: str, now: datetime) -> None:
    try:
        with transaction.atomic():
            ShiftNotice.objects.create(
                schedule=schedule, user=user, shift_start=shift.start, kind=kind, sent_at=now
            )
            send_mail(
                subject=subject,
                message=f"{subject}.\nShift: {shift.start:%Y-%m-%d %H:%M} – "
                f"{shift.end:%Y-%m-%d %H:%M} UTC.",
                from_email=None,
                recipient_list=[user.email],
            )
    except IntegrityError:
        pass  # already sent
    except Exception:
        logger.exception("Shift notice to %s failed", user.pk)
