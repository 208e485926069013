"""The pure on-call rotation engine (no Django, no database): daily, weekly and custom
handoffs, the first handoff and its boundaries, windows clipped to UTC, and windows far
after the start computed without walking from it."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from oncall.schedules.rotation import (
    ROTATION_CUSTOM,
    ROTATION_WEEKLY,
    Layer,
    Restriction,
    final_shifts,
    gaps,
    layer_shifts,
    oncall_at,
)
from tests.oncall.schedules.rotation_cases import (
    BUSINESS_HOURS,
    LONDON,
    TOKYO,
    assert_utc_sorted_disjoint,
    london,
    make_layer,
    make_schedule,
    ny,
    spans,
    utc,
)


def test_daily_rotation_hands_off_every_day_at_handoff_time() -> None:
    layer = make_layer(users=(1, 2, 3), start=date(2026, 1, 5))

    shifts = layer_shifts(layer, "UTC", utc(2026, 1, 5), utc(2026, 1, 9))

    assert spans(shifts) == [
        (1, utc(2026, 1, 5, 9), utc(2026, 1, 6, 9)),
        (2, utc(2026, 1, 6, 9), utc(2026, 1, 7, 9)),
        (3, utc(2026, 1, 7, 9), utc(2026, 1, 8, 9)),
        (1, utc(2026, 1, 8, 9), utc(2026, 1, 9)),
    ]


def test_weekly_rotation_hands_off_every_seven_days_in_local_time() -> None:
    # 10:00 in Tokyo (UTC+9, no DST) is 01:00 UTC.
    layer = make_layer(
        users=(10, 20), rotation=ROTATION_WEEKLY, handoff_time=time(10), start=date(2026, 1, 5)
    )

    shifts = layer_shifts(
        layer, "Asia/Tokyo", datetime(2026, 1, 1, tzinfo=TOKYO), datetime(2026, 1, 27, tzinfo=TOKYO)
    )

    assert spans(shifts) == [
        (10, utc(2026, 1, 5, 1), utc(2026, 1, 12, 1)),
        (20, utc(2026, 1, 12, 1), utc(2026, 1, 19, 1)),
        (10, utc(2026, 1, 19, 1), utc(2026, 1, 26, 1)),
        (20, utc(2026, 1, 26, 1), utc(2026, 1, 26, 15)),
    ]


def test_custom_12_hour_rotation_alternates_day_and_night() -> None:
    layer = make_layer(
        users=(1, 2),
        rotation=ROTATION_CUSTOM,
        shift_length_hours=12,
        handoff_time=time(8),
        start=date(2026, 2, 2),
    )

    shifts = layer_shifts(layer, "UTC", utc(2026, 2, 2, 8), utc(2026, 2, 4, 8))

    assert spans(shifts) == [
        (1, utc(2026, 2, 2, 8), utc(2026, 2, 2, 20)),
        (2, utc(2026, 2, 2, 20), utc(2026, 2, 3, 8)),
        (1, utc(2026, 2, 3, 8), utc(2026, 2, 3, 20)),
        (2, utc(2026, 2, 3, 20), utc(2026, 2, 4, 8)),
    ]


def test_custom_8_hour_rotation_cycles_users_across_days() -> None:
    # Three shifts a day and four users: day two starts with the fourth user.
    layer = make_layer(
        users=(1, 2, 3, 4),
        rotation=ROTATION_CUSTOM,
        shift_length_hours=8,
        handoff_time=time(6),
        start=date(2026, 2, 2),
    )

    shifts = layer_shifts(layer, "UTC", utc(2026, 2, 2, 6), utc(2026, 2, 3, 22))

    assert spans(shifts) == [
        (1, utc(2026, 2, 2, 6), utc(2026, 2, 2, 14)),
        (2, utc(2026, 2, 2, 14), utc(2026, 2, 2, 22)),
        (3, utc(2026, 2, 2, 22), utc(2026, 2, 3, 6)),
        (4, utc(2026, 2, 3, 6), utc(2026, 2, 3, 14)),
        (1, utc(2026, 2, 3, 14), utc(2026, 2, 3, 22)),
    ]


def test_very_first_handoff_starts_with_first_user_and_nobody_before() -> None:
    layer = make_layer(users=(7, 8), start=date(2026, 3, 2))
    schedule = make_schedule(layer)

    shifts = layer_shifts(layer, "UTC", utc(2026, 2, 20), utc(2026, 3, 4))

    assert spans(shifts) == [
        (7, utc(2026, 3, 2, 9), utc(2026, 3, 3, 9)),
        (8, utc(2026, 3, 3, 9), utc(2026, 3, 4)),
    ]
    assert oncall_at(schedule, utc(2026, 3, 2, 8, 59, 59)) is None
    assert oncall_at(schedule, utc(2026, 3, 2, 9)) == 7


def test_oncall_at_before_layer_start_is_none() -> None:
    schedule = make_schedule(make_layer(start=date(2026, 6, 1)), time_zone="Europe/London")

    assert oncall_at(schedule, london(2026, 5, 31, 12)) is None
    assert oncall_at(schedule, london(2025, 1, 1)) is None
    assert oncall_at(schedule, london(2026, 6, 1, 9)) == 1


def test_handoff_boundary_belongs_to_incoming_user() -> None:
    schedule = make_schedule(make_layer(users=(1, 2)))

    assert oncall_at(schedule, utc(2026, 1, 6, 8, 59, 59, 999999)) == 1
    assert oncall_at(schedule, utc(2026, 1, 6, 9)) == 2


def test_outputs_are_utc_clipped_to_window_and_sorted() -> None:
    layer = make_layer(users=(1, 2), start=date(2026, 1, 5))

    shifts = layer_shifts(layer, "America/New_York", ny(2026, 1, 6, 12), ny(2026, 1, 7, 12))

    # 09:00 EST is 14:00 UTC; the window cuts both ends of the shifts.
    assert spans(shifts) == [
        (2, utc(2026, 1, 6, 17), utc(2026, 1, 7, 14)),
        (1, utc(2026, 1, 7, 14), utc(2026, 1, 7, 17)),
    ]
    assert_utc_sorted_disjoint(shifts)


def test_empty_or_reversed_window_yields_nothing() -> None:
    schedule = make_schedule(make_layer())

    assert final_shifts(schedule, utc(2026, 2, 1), utc(2026, 2, 1)) == []
    assert final_shifts(schedule, utc(2026, 2, 2), utc(2026, 2, 1)) == []
    assert gaps(schedule, utc(2026, 2, 2), utc(2026, 2, 1)) == []


def _reference_daily_user(layer: Layer, zone: ZoneInfo, at: datetime) -> int | None:
    """Brute force: walk every day from the layer start (what the engine must NOT do)."""
    user = None
    day = layer.start
    while True:
        handoff = datetime.combine(day, layer.handoff_time, tzinfo=zone)
        if handoff > at:
            return user
        user = layer.users[(day - layer.start).days % len(layer.users)]
        day += timedelta(days=1)


def test_window_far_after_start_picks_the_right_user_and_local_handoffs() -> None:
    layer = make_layer(users=(1, 2, 3, 4, 5), start=date(2019, 1, 7))

    shifts = layer_shifts(layer, "Europe/London", london(2026, 7, 1), london(2026, 7, 15))

    # The shift covering 2026-07-01 00:00 began at 09:00 on 06-30.
    first_index = (date(2026, 6, 30) - date(2019, 1, 7)).days
    assert [shift.user for shift in shifts] == [
        layer.users[(first_index + offset) % 5] for offset in range(15)
    ]
    # British Summer Time: every handoff is 09:00 local == 08:00 UTC.
    assert all(shift.start.hour == 8 for shift in shifts[1:])
    assert shifts[0].start == london(2026, 7, 1)
    for probe in (london(2026, 7, 1), london(2026, 7, 4, 8, 59), london(2026, 7, 9, 9)):
        expected = _reference_daily_user(layer, LONDON, probe)
        assert oncall_at(make_schedule(layer, time_zone="Europe/London"), probe) == expected


def test_weekly_rotation_far_after_start_counts_whole_weeks() -> None:
    layer = make_layer(users=(1, 2, 3), rotation=ROTATION_WEEKLY, start=date(2020, 1, 6))
    schedule = make_schedule(layer, time_zone="America/New_York")

    weeks = (date(2026, 7, 13) - date(2020, 1, 6)).days // 7  # 2026-07-13 is a Monday
    assert oncall_at(schedule, ny(2026, 7, 13, 9)) == layer.users[weeks % 3]
    assert oncall_at(schedule, ny(2026, 7, 13, 8, 59)) == layer.users[(weeks - 1) % 3]


def test_far_window_does_not_iterate_from_start_even_with_hourly_shifts() -> None:
    # ~320,000 hourly handoffs lie between the start and the window; iterating would be slow.
    layer = make_layer(
        users=tuple(range(1, 8)),
        rotation=ROTATION_CUSTOM,
        shift_length_hours=1,
        handoff_time=time(0),
        start=date(1990, 1, 1),
    )
    window_start = utc(2026, 5, 4)

    shifts = layer_shifts(layer, "UTC", window_start, window_start + timedelta(days=14))

    k = (window_start - utc(1990, 1, 1)) // timedelta(hours=1)
    assert len(shifts) == 14 * 24
    assert [shift.user for shift in shifts[:8]] == [layer.users[(k + i) % 7] for i in range(8)]


def test_three_layers_over_ninety_days_give_sorted_disjoint_shifts() -> None:
    schedule = make_schedule(
        make_layer(users=(1, 2, 3), rotation=ROTATION_WEEKLY, start=date(2018, 1, 1)),
        make_layer(
            users=(4, 5),
            rotation=ROTATION_CUSTOM,
            shift_length_hours=12,
            start=date(2019, 3, 3),
            restrictions=(BUSINESS_HOURS,),
        ),
        make_layer(
            users=(6, 7, 8),
            start=date(2021, 5, 5),
            restrictions=(Restriction(weekdays=(1, 3, 5), start=time(22), end=time(6)),),
        ),
        time_zone="America/New_York",
    )
    start = ny(2026, 1, 1)

    shifts = final_shifts(schedule, start, start + timedelta(days=90))

    assert shifts
    assert_utc_sorted_disjoint(shifts)
