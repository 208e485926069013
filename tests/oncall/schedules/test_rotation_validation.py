"""The pure rotation engine (no Django, no database) refuses what it cannot compute:
naive datetimes, unknown time zones, invalid layers (every problem reported at once)."""

from collections.abc import Callable
from datetime import UTC, datetime, time
from typing import Any

import pytest

from oncall.schedules.rotation import (
    ROTATION_CUSTOM,
    ROTATION_WEEKLY,
    Override,
    Restriction,
    Schedule,
    final_shifts,
    gaps,
    layer_shifts,
    oncall_at,
    validate_layer,
)
from tests.oncall.schedules.rotation_cases import (
    BASE,
    DAYTIME,
    make_layer,
    make_schedule,
    utc,
)

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
