"""What the pure rotation tests share: zones, layers and schedules built with defaults,
and shifts as plain tuples. Every datetime is explicit and aware; 2026 DST dates: New York
03-08 (spring) / 11-01 (fall), London 03-29 / 10-25."""

from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from oncall.schedules.rotation import (
    ROTATION_DAILY,
    Layer,
    Override,
    Restriction,
    Schedule,
    Shift,
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


BASE = make_layer(users=(1,), start=date(2026, 1, 1))


DAYTIME = make_layer(users=(2,), start=date(2026, 1, 1), restrictions=(BUSINESS_HOURS,))
