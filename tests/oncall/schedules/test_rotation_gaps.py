"""The pure rotation engine (no Django, no database): gaps in coverage, and who is on
call at a moment agreeing with the final shifts."""

from datetime import UTC, date, datetime, time, timedelta

import time_machine

from oncall.schedules.rotation import (
    ROTATION_WEEKLY,
    Override,
    final_shifts,
    gaps,
    oncall_at,
)
from tests.oncall.schedules.rotation_cases import (
    BASE,
    BUSINESS_HOURS,
    DAYTIME,
    TOKYO,
    london,
    make_layer,
    make_schedule,
    ny,
    utc,
)


def test_gaps_cover_whole_window_for_an_empty_layer() -> None:
    schedule = make_schedule(make_layer(users=()))

    assert final_shifts(schedule, utc(2026, 1, 5), utc(2026, 1, 6)) == []
    assert gaps(schedule, utc(2026, 1, 5), utc(2026, 1, 6)) == [(utc(2026, 1, 5), utc(2026, 1, 6))]


def test_gaps_cover_whole_window_for_a_schedule_without_layers() -> None:
    schedule = make_schedule()

    assert gaps(schedule, ny(2026, 1, 5), ny(2026, 1, 6)) == [
        (utc(2026, 1, 5, 5), utc(2026, 1, 6, 5))
    ]
    assert oncall_at(schedule, ny(2026, 1, 5)) is None


def test_gaps_of_restriction_only_schedule_are_nights_and_weekends() -> None:
    schedule = make_schedule(DAYTIME)

    found = gaps(schedule, utc(2026, 1, 3), utc(2026, 1, 12))

    assert found[0] == (utc(2026, 1, 3), utc(2026, 1, 5, 9))
    assert found[1:5] == [(utc(2026, 1, day, 17), utc(2026, 1, day + 1, 9)) for day in (5, 6, 7, 8)]
    assert found[5:] == [(utc(2026, 1, 9, 17), utc(2026, 1, 12))]
    for gap_start, gap_end in found:
        assert gap_start.tzinfo is UTC and gap_end.tzinfo is UTC


def test_gap_before_first_handoff_inside_window() -> None:
    schedule = make_schedule(make_layer(start=date(2026, 1, 5)))

    assert gaps(schedule, utc(2026, 1, 4), utc(2026, 1, 8)) == [
        (utc(2026, 1, 4), utc(2026, 1, 5, 9))
    ]


def test_no_gaps_with_full_coverage() -> None:
    schedule = make_schedule(BASE, DAYTIME, time_zone="Europe/London")

    assert gaps(schedule, london(2026, 3, 1), london(2026, 6, 1)) == []


def test_oncall_at_agrees_with_final_shifts_everywhere() -> None:
    schedule = make_schedule(
        make_layer(users=(1, 2, 3), rotation=ROTATION_WEEKLY, start=date(2025, 12, 1)),
        make_layer(
            users=(4, 5),
            start=date(2026, 1, 1),
            restrictions=(BUSINESS_HOURS,),
            handoff_time=time(12),
        ),
        time_zone="America/New_York",
        overrides=(Override(user=6, start=ny(2026, 3, 7, 23), end=ny(2026, 3, 8, 11)),),
    )
    start, end = ny(2026, 3, 1), ny(2026, 3, 15)
    shifts = final_shifts(schedule, start, end)

    probe = start
    while probe < end:
        expected = next((s.user for s in shifts if s.start <= probe < s.end), None)
        assert oncall_at(schedule, probe) == expected, probe
        probe += timedelta(minutes=37)


def test_oncall_at_now_with_frozen_clock() -> None:
    schedule = make_schedule(make_layer(users=(1, 2, 3), start=date(2026, 5, 4)))

    with time_machine.travel(utc(2026, 5, 6, 12), tick=False):
        assert oncall_at(schedule, datetime.now(UTC)) == 3
    with time_machine.travel(utc(2026, 5, 4, 8), tick=False):
        assert oncall_at(schedule, datetime.now(UTC)) is None


def test_oncall_at_accepts_any_aware_zone() -> None:
    schedule = make_schedule(make_layer(users=(1, 2), start=date(2026, 1, 5)))

    # 2026-01-06 18:00 in Tokyo is 09:00 UTC: the handoff to user 2.
    assert oncall_at(schedule, datetime(2026, 1, 6, 17, 59, tzinfo=TOKYO)) == 1
    assert oncall_at(schedule, datetime(2026, 1, 6, 18, tzinfo=TOKYO)) == 2
