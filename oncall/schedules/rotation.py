"""On-call rotation arithmetic: who is on call, when, for a schedule.

This module is deliberately pure (standard library only, no Django, no database) so that the
rules can be unit-tested in isolation and reused by views, the pager and the calendar export.

Model
-----
A :class:`Schedule` has a time zone, an ordered tuple of :class:`Layer` objects and a tuple of
:class:`Override` objects. Each layer rotates its users through consecutive shifts; the k-th
shift belongs to ``users[k % len(users)]``. Later layers replace earlier ones wherever they have
somebody on call, and overrides replace every layer.

Wall-clock semantics
--------------------
Handoffs and restriction windows are *local wall-clock* times in the schedule's zone, because
that is what people agree on ("handoff every Monday at 09:00"). A 09:00 handoff therefore stays
09:00 local across daylight-saving changes, and a daily shift spanning a change lasts 23 or 25
real hours. Every boundary is computed as a naive local datetime first and only then localized
(see :func:`_localize`), which is also what makes it safe to jump straight to the k-th handoff
with arithmetic instead of iterating from ``layer.start``.

Localizing rules (documented because wall-clock times are not always unique or existent):

* A non-existent local time (inside a spring-forward gap, e.g. 02:30 in New York on
  2026-03-08) is resolved the way ``datetime.replace(tzinfo=zone)`` with ``fold=0`` resolves
  it: using the offset in force *before* the transition, which lands the instant *after* the
  gap (02:30 EST == 03:30 EDT). The handoff is effectively shifted forward by the gap size.
* An ambiguous local time (inside a fall-back overlap, e.g. 01:30 in New York on 2026-11-01)
  uses ``fold=0``, i.e. its first occurrence (01:30 EDT).

All public functions take and return timezone-aware datetimes (naive ones raise ``ValueError``);
results are in UTC (``datetime.UTC``, the same object as ``timezone.utc``), clipped to
the half-open query window ``[start, end)`` and sorted by start. Every interval is half-open, so
a shift ending at 09:00 and the next one starting at 09:00 never overlap.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = [
    "ROTATION_CUSTOM",
    "ROTATION_DAILY",
    "ROTATION_WEEKLY",
    "Layer",
    "Override",
    "Restriction",
    "Schedule",
    "Shift",
    "final_shifts",
    "gaps",
    "layer_shifts",
    "oncall_at",
    "validate_layer",
]


ROTATION_DAILY = "daily"


ROTATION_WEEKLY = "weekly"


ROTATION_CUSTOM = "custom"


ROTATIONS: tuple[str, ...] = (ROTATION_DAILY, ROTATION_WEEKLY, ROTATION_CUSTOM)


_MARGIN = timedelta(days=2)


_INSTANT = timedelta(microseconds=1)


_Interval = tuple[datetime, datetime]


@dataclass(frozen=True)
class Restriction:
    """A weekly recurring window during which a layer's users may be on call.

    ``weekdays`` are ISO weekdays (Monday=1 .. Sunday=7) on which a window *starts*; ``start``
    and ``end`` are naive local times in the schedule's zone. ``end <= start`` means the window
    crosses midnight into the next day, and ``end == start`` means a full 24 hours.
    """

    weekdays: tuple[int, ...]
    start: time
    end: time


@dataclass(frozen=True)
class Layer:
    """One rotation of ``users``; ``start`` is the date of the first handoff (to ``users[0]``).

    ``shift_length_hours`` is required (>= 1) for custom rotations and ignored otherwise.
    An empty ``restrictions`` tuple means the layer is always on.
    """

    users: tuple[int, ...]
    rotation: str
    handoff_time: time
    start: date
    shift_length_hours: int | None = None
    restrictions: tuple[Restriction, ...] = ()


@dataclass(frozen=True)
class Override:
    """``user`` is on call over every layer in ``[start, end)`` (both aware).

    An override with ``end <= start`` covers nothing and is ignored rather than rejected.
    """

    user: int
    start: datetime
    end: datetime


@dataclass(frozen=True)
class Schedule:
    """Layers in increasing precedence, then overrides (later ones win where they overlap)."""

    time_zone: str
    layers: tuple[Layer, ...]
    overrides: tuple[Override, ...] = ()


@dataclass(frozen=True)
class Shift:
    """``user`` is on call in ``[start, end)``; both are aware datetimes in UTC."""

    user: int
    start: datetime
    end: datetime


def validate_layer(layer: Layer) -> list[str]:
    """Return human-readable problems with ``layer``; an empty list means it is usable.

    Only configuration mistakes are reported. Repeating a user (``(1, 2, 1, 3)``) is allowed on
    purpose, and ``shift_length_hours`` on a daily/weekly layer is ignored rather than reported,
    so a form that switches rotation type does not have to clear it.
    """
    problems: list[str] = []
    if not layer.users:
        problems.append("The layer has no users.")
    if layer.rotation not in ROTATIONS:
        problems.append(
            f"Unknown rotation {layer.rotation!r}; expected one of {', '.join(ROTATIONS)}."
        )
    if layer.rotation == ROTATION_CUSTOM:
        hours = layer.shift_length_hours
        if hours is None:
            problems.append("A custom rotation needs a shift length in hours.")
        elif isinstance(hours, bool) or not isinstance(hours, int) or hours < 1:
            problems.append(
                f"The shift length must be a whole number of hours >= 1 (got {hours!r})."
            )
    if layer.handoff_time.tzinfo is not None:
        problems.append(
            "The handoff time must be a local wall-clock time without a time zone; "
            "the schedule's time zone applies."
        )
    for number, restriction in enumerate(layer.restrictions, start=1):
        problems.extend(_restriction_problems(number, restriction))
    return problems


def layer_shifts(layer: Layer, time_zone: str, start: datetime, end: datetime) -> list[Shift]:
    """Shifts of a single layer within ``[start, end)``, restrictions applied, in UTC.

    Shifts are not merged: each handoff (and each restriction window) yields its own piece, so
    callers can show handoffs even when the same user follows themselves. A layer without users
    covers nobody (so a half-edited schedule still resolves); any other problem reported by
    :func:`validate_layer` raises ``ValueError`` because the rotation cannot be computed.
    """
    zone = _zone(time_zone)
    window = _window(start, end)
    if not layer.users:
        return []
    problems = validate_layer(layer)
    if problems:
        raise ValueError("Invalid layer: " + " ".join(problems))
    if window is None:
        return []
    shifts = _rotation_shifts(layer, zone, *window)
    if layer.restrictions:
        shifts = _intersect(shifts, _restriction_windows(layer.restrictions, zone, *window))
    return shifts


def final_shifts(schedule: Schedule, start: datetime, end: datetime) -> list[Shift]:
    """Who is on call within ``[start, end)`` once layers and overrides are stacked, in UTC.

    Touching shifts of the same user are merged, so the result lists real changes of hands.
    """
    window = _window(start, end)
    _check_overrides(schedule.overrides)
    if window is None:
        _zone(schedule.time_zone)  # still report an unknown zone for empty windows
        return []
    stacked: list[Shift] = []
    for layer in schedule.layers:
        stacked = _overlay(stacked, layer_shifts(layer, schedule.time_zone, *window))
    overrides: list[Shift] = []
    for override in schedule.overrides:
        clipped = _clip(override.user, override.start, override.end, *window)
        if clipped is not None:
            overrides = _overlay(overrides, [clipped])
    return _merge_same_user(_overlay(stacked, overrides))


def oncall_at(schedule: Schedule, at: datetime) -> int | None:
    """The user on call at instant ``at``, or ``None`` when nobody is.

    Only a one-microsecond window starting at ``at`` is computed (stacking is pointwise), so the
    cost does not depend on how long ago the layers started.
    """
    _require_aware(at, "at")
    shifts = final_shifts(schedule, at, at + _INSTANT)
    return shifts[0].user if shifts else None


def gaps(schedule: Schedule, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    """Maximal intervals inside ``[start, end)`` (UTC) during which nobody is on call."""
    window = _window(start, end)
    shifts = final_shifts(schedule, start, end)
    if window is None:
        return []
    return _complement(((shift.start, shift.end) for shift in shifts), *window)


def _restriction_problems(number: int, restriction: Restriction) -> list[str]:
    problems: list[str] = []
    if not restriction.weekdays:
        problems.append(f"Restriction {number} has no weekdays, so it never applies.")
    bad_days = [day for day in restriction.weekdays if not _is_weekday(day)]
    if bad_days:
        listed = ", ".join(repr(day) for day in bad_days)
        problems.append(
            f"Restriction {number} has weekdays outside 1 (Monday) .. 7 (Sunday): {listed}."
        )
    if restriction.start.tzinfo is not None or restriction.end.tzinfo is not None:
        problems.append(
            f"Restriction {number} times must be local wall-clock times without a time zone."
        )
    return problems


def _is_weekday(day: object) -> bool:
    return isinstance(day, int) and not isinstance(day, bool) and 1 <= day <= 7


def _require_aware(value: datetime, name: str) -> None:
    """Naive datetimes are rejected: guessing their zone is how paging bugs happen."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime, got naive {value!r}.")


def _window(start: datetime, end: datetime) -> _Interval | None:
    """Validate and normalize a query window to UTC; ``None`` when it is empty."""
    _require_aware(start, "start")
    _require_aware(end, "end")
    start_utc, end_utc = start.astimezone(UTC), end.astimezone(UTC)
    if end_utc <= start_utc:
        return None
    return start_utc, end_utc


def _check_overrides(overrides: Iterable[Override]) -> None:
    for number, override in enumerate(overrides, start=1):
        _require_aware(override.start, f"override {number} start")
        _require_aware(override.end, f"override {number} end")


def _zone(name: str) -> ZoneInfo:
    """Resolve an IANA zone name, turning the lookup error into ``ValueError``."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:  # OSError: "America" is a dir
        raise ValueError(f"Unknown time zone {name!r}.") from exc


def _localize(local: datetime, zone: ZoneInfo) -> datetime:
    """Naive local wall-clock time -> aware UTC instant.

    ``fold=0`` picks the first occurrence of an ambiguous time and, for a non-existent time,
    applies the pre-transition offset, which moves it forward past the gap (see module doc).
    """
    return local.replace(tzinfo=zone, fold=0).astimezone(UTC)


def _local_naive(instant: datetime, zone: ZoneInfo) -> datetime:
    return instant.astimezone(zone).replace(tzinfo=None)


def _period(layer: Layer) -> timedelta:
    if layer.rotation == ROTATION_DAILY:
        return timedelta(days=1)
    if layer.rotation == ROTATION_WEEKLY:
        return timedelta(days=7)
    assert layer.shift_length_hours is not None  # guaranteed by validate_layer
    return timedelta(hours=layer.shift_length_hours)


def _rotation_shifts(layer: Layer, zone: ZoneInfo, start: datetime, end: datetime) -> list[Shift]:
    """Unrestricted shifts of ``layer`` clipped to ``[start, end)``.

    The handoff index range is found by dividing wall-clock distances by the period, so a
    window years after ``layer.start`` costs the same as one right after it. Handoff k is the
    naive local ``first + k * period``, localized only afterwards, which keeps handoffs on the
    same wall-clock time across DST no matter how far we jump.
    """
    first = datetime.combine(layer.start, layer.handoff_time.replace(tzinfo=None))
    period = _period(layer)
    k_low = max(0, (_local_naive(start, zone) - _MARGIN - first) // period)
    k_high = -((first - _local_naive(end, zone) - _MARGIN) // period)  # ceiling division
    if k_high <= k_low:
        return []
    count = len(layer.users)
    shifts: list[Shift] = []
    shift_start = _localize(first + k_low * period, zone)
    for k in range(k_low, k_high):
        shift_end = _localize(first + (k + 1) * period, zone)
        # In a zone whose gap is longer than a shift, localized boundaries can run backwards;
        # keeping the running maximum drops the swallowed shifts instead of overlapping them.
        shift_end = max(shift_end, shift_start)
        clipped = _clip(layer.users[k % count], shift_start, shift_end, start, end)
        if clipped is not None:
            shifts.append(clipped)
        shift_start = shift_end
    return shifts


def _restriction_windows(
    restrictions: Sequence[Restriction], zone: ZoneInfo, start: datetime, end: datetime
) -> list[_Interval]:
    """Union of all restriction windows that may touch ``[start, end)``, merged and sorted."""
    first_day = (_local_naive(start, zone) - _MARGIN).date()
    last_day = (_local_naive(end, zone) + _MARGIN).date()
    windows: list[_Interval] = []
    day = first_day
    while day <= last_day:
        weekday = day.isoweekday()
        for restriction in restrictions:
            if weekday not in restriction.weekdays:
                continue
            window_start = datetime.combine(day, restriction.start.replace(tzinfo=None))
            end_day = day if restriction.end > restriction.start else day + timedelta(days=1)
            window_end = datetime.combine(end_day, restriction.end.replace(tzinfo=None))
            utc_start, utc_end = _localize(window_start, zone), _localize(window_end, zone)
            if utc_start < utc_end:
                windows.append((utc_start, utc_end))
        day += timedelta(days=1)
    return _merge_intervals(windows)


def _clip(
    user: int, shift_start: datetime, shift_end: datetime, start: datetime, end: datetime
) -> Shift | None:
    clipped_start = max(shift_start.astimezone(UTC), start)
    clipped_end = min(shift_end.astimezone(UTC), end)
    if clipped_start >= clipped_end:
        return None
    return Shift(user=user, start=clipped_start, end=clipped_end)


def _merge_intervals(intervals: Iterable[_Interval]) -> list[_Interval]:
    """Sort and merge overlapping or touching intervals."""
    merged: list[_Interval] = []
    for interval_start, interval_end in sorted(intervals):
        if merged and interval_start <= merged[-1][1]:
            if interval_end > merged[-1][1]:
                merged[-1] = (merged[-1][0], interval_end)
        else:
            merged.append((interval_start, interval_end))
    return merged


def _intersect(shifts: list[Shift], windows: list[_Interval]) -> list[Shift]:
    """The parts of ``shifts`` inside ``windows`` (merged windows)."""
    result: list[Shift] = []
    first = 0
    for shift in shifts:
        while first < len(windows) and windows[first][1] <= shift.start:
            first += 1
        index = first
        while index < len(windows) and windows[index][0] < shift.end:
            piece_start = max(shift.start, windows[index][0])
            piece_end = min(shift.end, windows[index][1])
            if piece_start < piece_end:
                result.append(Shift(user=shift.user, start=piece_start, end=piece_end))
            index += 1
    return result


def _subtract(shifts: list[Shift], cover: list[_Interval]) -> list[Shift]:
    """The parts of ``shifts`` outside ``cover`` (merged intervals)."""
    result: list[Shift] = []
    first = 0
    for shift in shifts:
        while first < len(cover) and cover[first][1] <= shift.start:
            first += 1
        cursor = shift.start
        index = first
        while index < len(cover) and cover[index][0] < shift.end:
            if cover[index][0] > cursor:
                result.append(Shift(user=shift.user, start=cursor, end=cover[index][0]))
            cursor = max(cursor, cover[index][1])
            index += 1
        if cursor < shift.end:
            result.append(Shift(user=shift.user, start=cursor, end=shift.end))
    return result


def _overlay(below: list[Shift], above: list[Shift]) -> list[Shift]:
    """Stack ``above`` on ``below``: ``above`` wins wherever it has somebody on call."""
    if not above:
        return below
    cover = _merge_intervals((shift.start, shift.end) for shift in above)
    return sorted([*_subtract(below, cover), *above], key=lambda shift: shift.start)


def _merge_same_user(shifts: list[Shift]) -> list[Shift]:
    merged: list[Shift] = []
    for shift in shifts:
        if merged and merged[-1].user == shift.user and merged[-1].end >= shift.start:
            previous = merged[-1]
            merged[-1] = Shift(
                user=shift.user, start=previous.start, end=max(previous.end, shift.end)
            )
        else:
            merged.append(shift)
    return merged


def _complement(intervals: Iterable[_Interval], start: datetime, end: datetime) -> list[_Interval]:
    """Maximal sub-intervals of ``[start, end)`` not covered by ``intervals``."""
    holes: list[_Interval] = []
    cursor = start
    for interval_start, interval_end in _merge_intervals(intervals):
        if interval_start > cursor:
            holes.append((cursor, min(interval_start, end)))
        cursor = max(cursor, interval_end)
        if cursor >= end:
            break
    if cursor < end:
        holes.append((cursor, end))
    return holes
