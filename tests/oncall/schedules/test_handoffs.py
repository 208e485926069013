"""Schedule rows through the pure rotation module (DST, layering, overrides), handoff records
that survive later edits, and shift notifications (outbox messages, sent as the outbox's
workers would with ``outbox_send_due``)."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import time_machine
from django.conf import settings
from django.core import mail

from oncall.contacts.models import OnCallPreference
from oncall.schedules.handoffs import handoffs_record
from oncall.schedules.models import Handoff, ScheduleLayer, ScheduleOverride
from oncall.schedules.selectors import schedule_oncall_user_id, schedule_queryset, schedule_shifts
from outbox.models import Message, MessageStatus
from outbox.services import outbox_send_due
from outbox.transports.email import message_id
from tests.harness.outbox import crash_after_sending
from tests.oncall.factories import make_schedule

NEW_YORK = ZoneInfo("America/New_York")


def reload(schedule):
    return schedule_queryset().get(pk=schedule.pk)


def test_daily_handoff_stays_at_9_local_across_new_york_dst(team, alice, bob):
    schedule = make_schedule(
        team,
        [
            {
                "users": [alice, bob],
                "rotation": "daily",
                "handoff_time": time(9),
                "start": date(2026, 3, 6),
            }
        ],
        time_zone="America/New_York",
    )
    shifts = schedule_shifts(
        schedule=reload(schedule),
        start=datetime(2026, 3, 7, 9, tzinfo=NEW_YORK),
        end=datetime(2026, 3, 9, 9, tzinfo=NEW_YORK),
    )
    assert [s.start.astimezone(NEW_YORK).hour for s in shifts] == [9, 9]
    # The shift spanning the spring-forward night is 23 real hours long.
    assert [s.end - s.start for s in shifts] == [timedelta(hours=23), timedelta(hours=24)]


def test_inactive_user_is_never_computed_as_on_call(team, alice, bob):
    schedule = make_schedule(
        team,
        [
            {
                "users": [alice],
                "rotation": "weekly",
                "handoff_time": time(9),
                "start": date(2026, 3, 2),
            },
            {
                "users": [bob],
                "rotation": "weekly",
                "handoff_time": time(9),
                "start": date(2026, 3, 2),
            },
        ],
    )
    at = datetime(2026, 3, 3, tzinfo=UTC)
    assert schedule_oncall_user_id(schedule=reload(schedule), at=at) == bob.pk
    bob.is_active = False
    bob.save()
    assert schedule_oncall_user_id(schedule=reload(schedule), at=at) == alice.pk


def test_inactive_users_override_is_ignored(team, alice, bob):
    """An override held by someone since deactivated does not make them on call."""
    schedule = make_schedule(
        team,
        [
            {
                "users": [alice],
                "rotation": "weekly",
                "handoff_time": time(9),
                "start": date(2026, 3, 2),
            }
        ],
    )
    ScheduleOverride.objects.create(
        schedule=schedule,
        user=bob,
        start=datetime(2026, 3, 3, tzinfo=UTC),
        end=datetime(2026, 3, 4, tzinfo=UTC),
    )
    at = datetime(2026, 3, 3, 12, tzinfo=UTC)
    assert schedule_oncall_user_id(schedule=reload(schedule), at=at) == bob.pk
    bob.is_active = False
    bob.save()
    assert schedule_oncall_user_id(schedule=reload(schedule), at=at) == alice.pk


def test_handoffs_are_recorded_once_and_survive_schedule_edits(team, alice, bob):
    schedule = make_schedule(
        team,
        [
            {
                "users": [alice, bob],
                "rotation": "daily",
                "handoff_time": time(9),
                "start": date(2026, 3, 2),
            }
        ],
    )
    with time_machine.travel(datetime(2026, 3, 3, 10, tzinfo=UTC), tick=False):
        assert handoffs_record() == 2  # alice's (Mon) and bob's (Tue) shifts have started
        assert handoffs_record() == 0
    recorded = list(Handoff.objects.order_by("start").values_list("user__username", "start", "end"))
    assert recorded == [
        ("alice", datetime(2026, 3, 2, 9, tzinfo=UTC), datetime(2026, 3, 3, 9, tzinfo=UTC)),
        ("bob", datetime(2026, 3, 3, 9, tzinfo=UTC), datetime(2026, 3, 4, 9, tzinfo=UTC)),
    ]
    ScheduleLayer.objects.filter(schedule=schedule).update(handoff_time=time(12))
    assert Handoff.objects.filter(user=alice).get().end == datetime(2026, 3, 3, 9, tzinfo=UTC)


def run_handoffs() -> None:
    """The beat's handoff task, then the outbox's sending."""
    handoffs_record()
    outbox_send_due()


def test_shift_notifications_before_start_and_at_end_are_sent_once(team, alice, bob):
    schedule = make_schedule(
        team,
        [
            {
                "users": [alice, bob],
                "rotation": "daily",
                "handoff_time": time(9),
                "start": date(2026, 3, 2),
            }
        ],
    )
    OnCallPreference.objects.create(user=bob, notify_hours_before_shift=2, notify_at_shift_end=True)
    with time_machine.travel(datetime(2026, 3, 3, 6, 59, tzinfo=UTC), tick=False) as clock:
        run_handoffs()
        assert mail.outbox == []
        clock.shift(timedelta(minutes=1))  # 07:00: two hours before bob's 09:00 shift
        run_handoffs()
        run_handoffs()
        assert [m.to for m in mail.outbox] == [["bob@example.com"]]
        assert "starts 2026-03-03 09:00" in mail.outbox[0].subject
        clock.move_to(datetime(2026, 3, 4, 9, 0, 30, tzinfo=UTC))
        run_handoffs()
        run_handoffs()
    assert len(mail.outbox) == 2 and "has ended" in mail.outbox[1].subject
    start = "2026-03-03T09:00:00+00:00"
    sent = Message.objects.filter(purpose="oncall.shift_notice").order_by("pk")
    assert [(m.key, m.recipient, m.group, m.status) for m in sent] == [
        (
            f"oncall.shift_notice:{schedule.pk}:{bob.pk}:{start}:before_start",
            bob,
            f"schedule:{schedule.pk}",
            MessageStatus.SENT,
        ),
        (
            f"oncall.shift_notice:{schedule.pk}:{bob.pk}:{start}:ended",
            bob,
            f"schedule:{schedule.pk}",
            MessageStatus.SENT,
        ),
    ]
    assert [m.extra_headers["Message-ID"] for m in mail.outbox] == [message_id(m.key) for m in sent]


def test_a_shift_notice_sent_again_after_a_crash_carries_the_same_message_id(team, alice, bob):
    make_schedule(
        team,
        [
            {
                "users": [alice, bob],
                "rotation": "daily",
                "handoff_time": time(9),
                "start": date(2026, 3, 2),
            }
        ],
    )
    OnCallPreference.objects.create(user=bob, notify_hours_before_shift=2)
    with time_machine.travel(datetime(2026, 3, 3, 7, 0, tzinfo=UTC), tick=False) as clock:
        handoffs_record()
        notice = Message.objects.get(recipient=bob)
        # A sender claims it, sends it, and dies before recording that it did.
        crash_after_sending(notice)
        assert len(mail.outbox) == 1
        # Its lease runs out: the next sender sends it again, under the same key; the
        # beat meanwhile writes nothing new.
        clock.shift(timedelta(seconds=settings.OUTBOX_LEASE_SECONDS + 1))
        run_handoffs()
        run_handoffs()
    assert [m.to for m in mail.outbox] == [["bob@example.com"]] * 2
    assert {m.extra_headers["Message-ID"] for m in mail.outbox} == {message_id(notice.key)}
    notice.refresh_from_db()
    assert (notice.status, notice.attempts) == (MessageStatus.SENT, 2)
    assert Message.objects.count() == 1
