"""The pure rotation engine (no Django, no database) across DST changes: handoffs stay at
their local time; nonexistent and ambiguous local times resolve one documented way.
2026 DST dates: New York 03-08 (spring) / 11-01 (fall), London 03-29 / 10-25."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from oncall.schedules.rotation import (
    ROTATION_CUSTOM,
    layer_shifts,
    oncall_at,
)
from tests.oncall.schedules.rotation_cases import (
    NEW_YORK,
    assert_utc_sorted_disjoint,
    hours,
    london,
    make_layer,
    make_schedule,
    ny,
    spans,
    utc,
)


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
