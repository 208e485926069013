"""The pure rotation engine (no Django, no database): restrictions limit a layer to
windows of local time (business hours, nights across midnight, DST)."""

from datetime import date, time

from oncall.schedules.rotation import (
    ROTATION_WEEKLY,
    Restriction,
    final_shifts,
    layer_shifts,
    oncall_at,
)
from tests.oncall.schedules.rotation_cases import (
    BUSINESS_HOURS,
    make_layer,
    make_schedule,
    ny,
    spans,
    utc,
)


def test_business_hours_restriction_covers_only_weekdays_nine_to_five_local() -> None:
    layer = make_layer(
        users=(7,), rotation=ROTATION_WEEKLY, start=date(2026, 1, 5), restrictions=(BUSINESS_HOURS,)
    )

    # Saturday 2026-01-03 to Monday 2026-01-12 in New York (EST, 09:00 == 14:00 UTC).
    shifts = layer_shifts(layer, "America/New_York", ny(2026, 1, 3), ny(2026, 1, 12))

    assert spans(shifts) == [
        (7, utc(2026, 1, day, 14), utc(2026, 1, day, 22)) for day in (5, 6, 7, 8, 9)
    ]


def test_restriction_crossing_midnight_runs_into_the_next_day() -> None:
    # Monday-only 22:00-06:00 window, daily midnight handoffs: Monday's user has 22:00-24:00,
    # Tuesday's user has 00:00-06:00.
    monday_nights = Restriction(weekdays=(1,), start=time(22), end=time(6))
    layer = make_layer(
        users=(1, 2), handoff_time=time(0), start=date(2026, 1, 5), restrictions=(monday_nights,)
    )

    shifts = layer_shifts(layer, "UTC", utc(2026, 1, 4), utc(2026, 1, 14))

    assert spans(shifts) == [
        (1, utc(2026, 1, 5, 22), utc(2026, 1, 6)),
        (2, utc(2026, 1, 6), utc(2026, 1, 6, 6)),
        (2, utc(2026, 1, 12, 22), utc(2026, 1, 13)),
        (1, utc(2026, 1, 13), utc(2026, 1, 13, 6)),
    ]


def test_restriction_window_started_before_query_window_is_still_honoured() -> None:
    monday_nights = Restriction(weekdays=(1,), start=time(22), end=time(6))
    schedule = make_schedule(make_layer(users=(1,), restrictions=(monday_nights,)))

    assert spans(final_shifts(schedule, utc(2026, 1, 6, 3), utc(2026, 1, 7))) == [
        (1, utc(2026, 1, 6, 3), utc(2026, 1, 6, 6)),
    ]
    assert oncall_at(schedule, utc(2026, 1, 6, 5, 59)) == 1
    assert oncall_at(schedule, utc(2026, 1, 6, 6)) is None


def test_restriction_with_equal_start_and_end_covers_a_full_day() -> None:
    weekends = Restriction(weekdays=(6, 7), start=time(0), end=time(0))
    schedule = make_schedule(make_layer(users=(3,), restrictions=(weekends,)))

    # 2026-01-10/11 is a weekend; the two touching 24 h windows form one shift.
    assert spans(final_shifts(schedule, utc(2026, 1, 8), utc(2026, 1, 15))) == [
        (3, utc(2026, 1, 10), utc(2026, 1, 12)),
    ]


def test_restrictions_are_unioned() -> None:
    mornings = Restriction(weekdays=(2,), start=time(8), end=time(12))
    overlapping = Restriction(weekdays=(2,), start=time(11), end=time(14))
    schedule = make_schedule(make_layer(users=(3,), restrictions=(mornings, overlapping)))

    assert spans(final_shifts(schedule, utc(2026, 1, 5), utc(2026, 1, 12))) == [
        (3, utc(2026, 1, 6, 8), utc(2026, 1, 6, 14)),
    ]


def test_restriction_windows_follow_local_time_across_dst() -> None:
    # 09:00-17:00 New York is 14:00-22:00 UTC in winter and 13:00-21:00 UTC in summer.
    layer = make_layer(users=(1,), start=date(2026, 3, 1), restrictions=(BUSINESS_HOURS,))

    shifts = layer_shifts(layer, "America/New_York", ny(2026, 3, 6), ny(2026, 3, 10))

    assert spans(shifts) == [
        (1, utc(2026, 3, 6, 14), utc(2026, 3, 6, 22)),
        (1, utc(2026, 3, 9, 13), utc(2026, 3, 9, 21)),
    ]
