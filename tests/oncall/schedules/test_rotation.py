"""Tests for the pure on-call rotation engine (no Django, no database).

Run with ``pytest tests/oncall/test_rotation.py -p no:django``. Every datetime is explicit and
aware; 2026 DST dates: New York 03-08 (spring) / 11-01 (fall), London 03-29 / 10-25.
"""

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from oncall.schedules.rotation import (
    ROTATION_CUSTOM,
    ROTATION_DAILY,
    ROTATION_WEEKLY,
    Layer,
    Override,
    Restriction,
    Schedule,
    Shift,
    final_shifts,
    gaps,
    layer_shifts,
    oncall_at,
    validate_layer,
)

NEW_YORK = ZoneInfo("America/New_York")


LONDON = ZoneInfo("Europe/London")


TOKYO = ZoneInfo("Asia/Tokyo")


WEEKDAYS = (1, 2, 3, 4, 5)


BUSINESS_HOURS = Restriction(weekdays=WEEKDAYS, start=time(9), end=time(17))


Span = tuple[int, datetime, datetime]


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def ny(*args: int) -> datetime:
    return datetime(*args, tzinfo=NEW_YORK)  # type: ignore[misc]


def london(*args: int) -> datetime:
    return datetime(*args, tzinfo=LONDON)  # type: ignore[misc]


def make_layer(
    users: tuple[int, ...] = (1, 2, 3),
    rotation: str = ROTATION_DAILY,
    handoff_time: time = time(9),
    start: date = date(2026, 1, 5),
    shift_length_hours: int | None = None,
    restrictions: tuple[Restriction, ...] = (),
) -> Layer:
    return Layer(
        users=users,
        rotation=rotation,
        handoff_time=handoff_time,
        start=start,
        shift_length_hours=shift_length_hours,
        restrictions=restrictions,
    )


def make_schedule(
    *layers: Layer, time_zone: str = "UTC", overrides: tuple[Override, ...] = ()
) -> Schedule:
    return Schedule(time_zone=time_zone, layers=layers, overrides=overrides)


def spans(shifts: list[Shift]) -> list[Span]:
    """Shifts as plain tuples so assertion failures are easy to read."""
    return [(shift.user, shift.start, shift.end) for shift in shifts]


def hours(shift: Shift) -> float:
    return (shift.end - shift.start) / timedelta(hours=1)


def assert_utc_sorted_disjoint(shifts: list[Shift]) -> None:
    for shift in shifts:
        assert shift.start.tzinfo is UTC and shift.end.tzinfo is UTC
        assert shift.start < shift.end
    for before, after in pairwise(shifts):
        assert before.end <= after.start


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


BASE = make_layer(users=(1,), start=date(2026, 1, 1))


DAYTIME = make_layer(users=(2,), start=date(2026, 1, 1), restrictions=(BUSINESS_HOURS,))


def test_second_layer_overrides_first_only_where_it_has_someone_on_call() -> None:
    schedule = make_schedule(BASE, DAYTIME)

    # Monday 2026-01-05 00:00 to Wednesday 00:00; layer 1 shows through outside 09-17.
    assert spans(final_shifts(schedule, utc(2026, 1, 5), utc(2026, 1, 7))) == [
        (1, utc(2026, 1, 5), utc(2026, 1, 5, 9)),
        (2, utc(2026, 1, 5, 9), utc(2026, 1, 5, 17)),
        (1, utc(2026, 1, 5, 17), utc(2026, 1, 6, 9)),
        (2, utc(2026, 1, 6, 9), utc(2026, 1, 6, 17)),
        (1, utc(2026, 1, 6, 17), utc(2026, 1, 7)),
    ]
    # Weekend: only the first layer.
    assert oncall_at(schedule, utc(2026, 1, 10, 12)) == 1


def test_layer_order_matters_earlier_layer_is_hidden_by_later_one() -> None:
    schedule = make_schedule(DAYTIME, BASE)

    assert spans(final_shifts(schedule, utc(2026, 1, 5), utc(2026, 1, 7))) == [
        (1, utc(2026, 1, 5), utc(2026, 1, 7)),
    ]


def test_empty_later_layer_lets_earlier_layer_show_through() -> None:
    schedule = make_schedule(BASE, make_layer(users=()))

    assert oncall_at(schedule, utc(2026, 1, 5, 12)) == 1
    assert gaps(schedule, utc(2026, 1, 5), utc(2026, 1, 12)) == []


def test_override_replaces_every_layer() -> None:
    override = Override(user=3, start=utc(2026, 1, 5, 12), end=utc(2026, 1, 5, 20))
    schedule = make_schedule(BASE, DAYTIME, overrides=(override,))

    assert spans(final_shifts(schedule, utc(2026, 1, 5), utc(2026, 1, 6))) == [
        (1, utc(2026, 1, 5), utc(2026, 1, 5, 9)),
        (2, utc(2026, 1, 5, 9), utc(2026, 1, 5, 12)),
        (3, utc(2026, 1, 5, 12), utc(2026, 1, 5, 20)),
        (1, utc(2026, 1, 5, 20), utc(2026, 1, 6)),
    ]


def test_override_by_the_user_already_on_call_merges_into_one_shift() -> None:
    override = Override(user=1, start=utc(2026, 1, 5, 8), end=utc(2026, 1, 5, 10))
    schedule = make_schedule(BASE, DAYTIME, overrides=(override,))

    assert spans(final_shifts(schedule, utc(2026, 1, 5), utc(2026, 1, 5, 18))) == [
        (1, utc(2026, 1, 5), utc(2026, 1, 5, 10)),
        (2, utc(2026, 1, 5, 10), utc(2026, 1, 5, 17)),
        (1, utc(2026, 1, 5, 17), utc(2026, 1, 5, 18)),
    ]


def test_touching_overrides_of_the_same_user_merge() -> None:
    overrides = (
        Override(user=5, start=utc(2026, 1, 5, 10), end=utc(2026, 1, 5, 12)),
        Override(user=5, start=utc(2026, 1, 5, 12), end=utc(2026, 1, 5, 14)),
    )
    schedule = make_schedule(BASE, overrides=overrides)

    assert spans(final_shifts(schedule, utc(2026, 1, 5, 9), utc(2026, 1, 5, 15))) == [
        (1, utc(2026, 1, 5, 9), utc(2026, 1, 5, 10)),
        (5, utc(2026, 1, 5, 10), utc(2026, 1, 5, 14)),
        (1, utc(2026, 1, 5, 14), utc(2026, 1, 5, 15)),
    ]


def test_daily_handoffs_of_a_single_user_merge_in_final_shifts() -> None:
    schedule = make_schedule(BASE)

    assert len(layer_shifts(BASE, "UTC", utc(2026, 1, 5), utc(2026, 1, 8))) == 4
    assert spans(final_shifts(schedule, utc(2026, 1, 5), utc(2026, 1, 8))) == [
        (1, utc(2026, 1, 5), utc(2026, 1, 8)),
    ]


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        pytest.param(
            ((5, 10, 14), (6, 12, 16)),
            [(5, 10, 12), (6, 12, 16)],
            id="later-wins-on-the-overlap",
        ),
        pytest.param(
            ((6, 12, 16), (5, 10, 14)),
            [(5, 10, 14), (6, 14, 16)],
            id="order-in-tuple-not-time-decides",
        ),
        pytest.param(
            ((5, 10, 16), (6, 12, 13)),
            [(5, 10, 12), (6, 12, 13), (5, 13, 16)],
            id="later-inside-earlier-splits-it",
        ),
    ],
)
def test_overlapping_overrides_later_one_in_tuple_wins(
    overrides: tuple[tuple[int, int, int], ...], expected: list[tuple[int, int, int]]
) -> None:
    schedule = make_schedule(
        BASE,
        overrides=tuple(
            Override(user=user, start=utc(2026, 1, 5, begin), end=utc(2026, 1, 5, finish))
            for user, begin, finish in overrides
        ),
    )

    shifts = final_shifts(schedule, utc(2026, 1, 5, 10), utc(2026, 1, 5, 16))

    assert spans(shifts) == [
        (user, utc(2026, 1, 5, begin), utc(2026, 1, 5, finish)) for user, begin, finish in expected
    ]


def test_override_outside_layer_coverage_and_before_layer_start_counts() -> None:
    override = Override(user=9, start=ny(2025, 12, 31, 22), end=ny(2026, 1, 1, 10))
    schedule = make_schedule(BASE, overrides=(override,), time_zone="America/New_York")

    # BASE starts 2026-01-01 09:00 New York; the override bridges the time before it.
    assert spans(final_shifts(schedule, ny(2025, 12, 31), ny(2026, 1, 1, 12))) == [
        (9, utc(2026, 1, 1, 3), utc(2026, 1, 1, 15)),
        (1, utc(2026, 1, 1, 15), utc(2026, 1, 1, 17)),
    ]
    assert gaps(schedule, ny(2025, 12, 31), ny(2026, 1, 1, 12)) == [
        (utc(2025, 12, 31, 5), utc(2026, 1, 1, 3)),
    ]


def test_override_partly_outside_window_is_clipped() -> None:
    override = Override(user=9, start=utc(2026, 1, 4), end=utc(2026, 1, 5, 6))
    schedule = make_schedule(BASE, overrides=(override,))

    assert spans(final_shifts(schedule, utc(2026, 1, 5), utc(2026, 1, 5, 12))) == [
        (9, utc(2026, 1, 5), utc(2026, 1, 5, 6)),
        (1, utc(2026, 1, 5, 6), utc(2026, 1, 5, 12)),
    ]


def test_override_with_end_not_after_start_is_ignored() -> None:
    override = Override(user=9, start=utc(2026, 1, 5, 12), end=utc(2026, 1, 5, 10))
    schedule = make_schedule(BASE, overrides=(override,))

    assert oncall_at(schedule, utc(2026, 1, 5, 11)) == 1


@pytest.mark.parametrize(
    ("zone_name", "transition", "expected_hours"),
    [
        pytest.param("America/New_York", date(2026, 3, 8), 23, id="new-york-spring-forward"),
        pytest.param("America/New_York", date(2026, 11, 1), 25, id="new-york-fall-back"),
        pytest.param("Europe/London", date(2026, 3, 29), 23, id="london-spring-forward"),
        pytest.param("Europe/London", date(2026, 10, 25), 25, id="london-fall-back"),
    ],
)
def test_daily_9am_handoff_stays_9am_local_across_dst(
    zone_name: str, transition: date, expected_hours: int
) -> None:
    zone = ZoneInfo(zone_name)
    layer = make_layer(users=(1, 2), start=date(2026, 1, 1))
    window_start = datetime.combine(transition - timedelta(days=3), time(0), tzinfo=zone)

    shifts = layer_shifts(layer, zone_name, window_start, window_start + timedelta(days=7))

    handoffs = shifts[1:]  # the first one is clipped by the window
    assert all(shift.start.astimezone(zone).time() == time(9) for shift in handoffs)
    # The shift from 09:00 the day before the change to 09:00 on the day of the change.
    across = next(shift for shift in shifts if shift.end.astimezone(zone).date() == transition)
    assert hours(across) == expected_hours
    assert [hours(shift) for shift in handoffs if shift is not across][:3] == [24, 24, 24]


def test_new_york_spring_forward_exact_instants() -> None:
    layer = make_layer(users=(1, 2), start=date(2026, 3, 7))

    shifts = layer_shifts(layer, "America/New_York", ny(2026, 3, 7), ny(2026, 3, 10))

    assert spans(shifts) == [
        (1, utc(2026, 3, 7, 14), utc(2026, 3, 8, 13)),  # 09:00 EST -> 09:00 EDT: 23 h
        (2, utc(2026, 3, 8, 13), utc(2026, 3, 9, 13)),
        (1, utc(2026, 3, 9, 13), utc(2026, 3, 10, 4)),
    ]


def test_london_fall_back_exact_instants() -> None:
    layer = make_layer(users=(1, 2), start=date(2026, 10, 24))

    shifts = layer_shifts(layer, "Europe/London", london(2026, 10, 24), london(2026, 10, 26))

    assert spans(shifts) == [
        (1, utc(2026, 10, 24, 8), utc(2026, 10, 25, 9)),  # 09:00 BST -> 09:00 GMT: 25 h
        (2, utc(2026, 10, 25, 9), utc(2026, 10, 26)),
    ]


def test_custom_12h_shift_over_london_spring_forward_is_11_real_hours() -> None:
    layer = make_layer(
        users=(1, 2),
        rotation=ROTATION_CUSTOM,
        shift_length_hours=12,
        handoff_time=time(8),
        start=date(2026, 3, 1),
    )

    shifts = layer_shifts(layer, "Europe/London", london(2026, 3, 28, 8), london(2026, 3, 29, 20))

    assert spans(shifts) == [
        (1, utc(2026, 3, 28, 8), utc(2026, 3, 28, 20)),
        (2, utc(2026, 3, 28, 20), utc(2026, 3, 29, 7)),  # 20:00 GMT -> 08:00 BST
        (1, utc(2026, 3, 29, 7), utc(2026, 3, 29, 19)),
    ]


def test_handoff_in_nonexistent_hour_is_shifted_forward() -> None:
    # 02:30 does not exist in New York on 2026-03-08; fold=0 resolves it with EST (-05:00),
    # i.e. 07:30 UTC == 03:30 EDT. The next day's 02:30 EDT is 06:30 UTC.
    layer = make_layer(users=(1, 2), handoff_time=time(2, 30), start=date(2026, 3, 7))

    shifts = layer_shifts(layer, "America/New_York", ny(2026, 3, 7), ny(2026, 3, 9, 12))

    assert spans(shifts) == [
        (1, utc(2026, 3, 7, 7, 30), utc(2026, 3, 8, 7, 30)),
        (2, utc(2026, 3, 8, 7, 30), utc(2026, 3, 9, 6, 30)),
        (1, utc(2026, 3, 9, 6, 30), utc(2026, 3, 9, 16)),
    ]
    assert shifts[1].start.astimezone(NEW_YORK).time() == time(3, 30)


def test_layer_starting_in_nonexistent_hour_begins_after_the_gap() -> None:
    schedule = make_schedule(
        make_layer(users=(4,), handoff_time=time(2, 30), start=date(2026, 3, 8)),
        time_zone="America/New_York",
    )

    assert oncall_at(schedule, utc(2026, 3, 8, 7, 29)) is None
    assert oncall_at(schedule, utc(2026, 3, 8, 7, 30)) == 4


def test_ambiguous_handoff_uses_first_occurrence() -> None:
    # 01:30 happens twice in New York on 2026-11-01; fold=0 means 01:30 EDT == 05:30 UTC.
    layer = make_layer(users=(1, 2), handoff_time=time(1, 30), start=date(2026, 10, 31))

    shifts = layer_shifts(layer, "America/New_York", ny(2026, 10, 31), ny(2026, 11, 2, 12))

    assert spans(shifts) == [
        (1, utc(2026, 10, 31, 5, 30), utc(2026, 11, 1, 5, 30)),
        (2, utc(2026, 11, 1, 5, 30), utc(2026, 11, 2, 6, 30)),  # 25 h
        (1, utc(2026, 11, 2, 6, 30), utc(2026, 11, 2, 17)),
    ]


def test_custom_hourly_shift_swallowed_by_spring_gap_is_dropped() -> None:
    # Naive 02:00 and 03:00 on 2026-03-08 both localize to 07:00 UTC: that shift has no length.
    layer = make_layer(
        users=(1, 2, 3),
        rotation=ROTATION_CUSTOM,
        shift_length_hours=1,
        handoff_time=time(0),
        start=date(2026, 3, 8),
    )

    shifts = layer_shifts(layer, "America/New_York", ny(2026, 3, 8), ny(2026, 3, 8, 4))

    assert spans(shifts) == [
        (1, utc(2026, 3, 8, 5), utc(2026, 3, 8, 6)),
        (2, utc(2026, 3, 8, 6), utc(2026, 3, 8, 7)),
        (1, utc(2026, 3, 8, 7), utc(2026, 3, 8, 8)),  # k=3 after the empty k=2
    ]
    assert_utc_sorted_disjoint(shifts)


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


NAIVE = datetime(2026, 1, 5, 12)


AWARE = utc(2026, 1, 5, 12)


@pytest.mark.parametrize(
    "call",
    [
        pytest.param(lambda s: layer_shifts(BASE, "UTC", NAIVE, AWARE), id="layer_shifts-start"),
        pytest.param(lambda s: layer_shifts(BASE, "UTC", AWARE, NAIVE), id="layer_shifts-end"),
        pytest.param(lambda s: final_shifts(s, NAIVE, AWARE), id="final_shifts-start"),
        pytest.param(lambda s: final_shifts(s, AWARE, NAIVE), id="final_shifts-end"),
        pytest.param(lambda s: gaps(s, NAIVE, AWARE), id="gaps-start"),
        pytest.param(lambda s: gaps(s, AWARE, NAIVE), id="gaps-end"),
        pytest.param(lambda s: oncall_at(s, NAIVE), id="oncall_at"),
    ],
)
def test_naive_datetime_raises_value_error(call: Callable[[Schedule], Any]) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        call(make_schedule(BASE))


def test_naive_override_raises_value_error() -> None:
    schedule = make_schedule(BASE, overrides=(Override(user=2, start=NAIVE, end=AWARE),))

    with pytest.raises(ValueError, match="timezone-aware"):
        oncall_at(schedule, AWARE)


@pytest.mark.parametrize("zone_name", ["Mars/Olympus_Mons", "", "America"])
def test_unknown_time_zone_raises_value_error(zone_name: str) -> None:
    with pytest.raises(ValueError, match="time zone"):
        oncall_at(make_schedule(BASE, time_zone=zone_name), AWARE)


def test_valid_layers_have_no_problems() -> None:
    assert validate_layer(BASE) == []
    assert validate_layer(DAYTIME) == []
    assert validate_layer(make_layer(rotation=ROTATION_CUSTOM, shift_length_hours=1)) == []
    # Ignored outside custom rotations rather than reported.
    assert validate_layer(make_layer(rotation=ROTATION_WEEKLY, shift_length_hours=5)) == []


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [
        pytest.param({"users": ()}, "no users", id="no-users"),
        pytest.param({"rotation": "hourly"}, "Unknown rotation", id="unknown-rotation"),
        pytest.param({"rotation": ROTATION_CUSTOM}, "shift length", id="custom-without-length"),
        pytest.param(
            {"rotation": ROTATION_CUSTOM, "shift_length_hours": 0}, ">= 1", id="custom-zero-length"
        ),
        pytest.param(
            {"rotation": ROTATION_CUSTOM, "shift_length_hours": -4}, ">= 1", id="custom-negative"
        ),
        pytest.param(
            {"restrictions": (Restriction(weekdays=(0, 5), start=time(9), end=time(17)),)},
            "outside 1 (Monday) .. 7 (Sunday): 0",
            id="weekday-zero",
        ),
        pytest.param(
            {"restrictions": (Restriction(weekdays=(8,), start=time(9), end=time(17)),)},
            "Restriction 1 has weekdays outside",
            id="weekday-eight",
        ),
        pytest.param(
            {"restrictions": (Restriction(weekdays=(), start=time(9), end=time(17)),)},
            "no weekdays",
            id="no-weekdays",
        ),
        pytest.param(
            {"handoff_time": time(9, tzinfo=UTC)}, "without a time zone", id="aware-handoff"
        ),
    ],
)
def test_validate_layer_reports_problems(changes: dict[str, Any], fragment: str) -> None:
    problems = validate_layer(make_layer(**changes))

    assert len(problems) == 1
    assert fragment in problems[0]


def test_validate_layer_reports_every_problem_at_once() -> None:
    layer = make_layer(
        users=(),
        rotation=ROTATION_CUSTOM,
        restrictions=(Restriction(weekdays=(9,), start=time(9), end=time(17)),),
    )

    assert len(validate_layer(layer)) == 3


def test_layer_shifts_rejects_uncomputable_layer_but_tolerates_empty_one() -> None:
    with pytest.raises(ValueError, match="shift length"):
        layer_shifts(make_layer(rotation=ROTATION_CUSTOM), "UTC", utc(2026, 1, 5), utc(2026, 1, 6))
    assert layer_shifts(make_layer(users=()), "UTC", utc(2026, 1, 5), utc(2026, 1, 6)) == []
