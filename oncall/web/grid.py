"""Days and segments as the on-call pages draw them: a run of local days in one zone,
and for each day who (or nobody: a gap) is on call from when to when.

Everything here is aware datetimes; the templates format them in the zone the request
renders in (the reader's own, or the one ``?tz=`` asked for), so the grid, its gaps and
its overrides always agree."""

import datetime
from typing import Any
from zoneinfo import ZoneInfo

Interval = tuple[Any, datetime.datetime, datetime.datetime]


def local_days(first: datetime.date, count: int, zone: ZoneInfo) -> list[dict[str, Any]]:
    """``count`` days from ``first`` in ``zone``: the date and its bounds as aware UTC
    instants (so a DST day is 23 or 25 hours long)."""
    days = []
    for offset in range(count):
        day = first + datetime.timedelta(days=offset)
        start = datetime.datetime.combine(day, datetime.time(), tzinfo=zone)
        end = datetime.datetime.combine(
            day + datetime.timedelta(days=1), datetime.time(), tzinfo=zone
        )
        days.append(
            {
                "date": day,
                "start": start.astimezone(datetime.UTC),
                "end": end.astimezone(datetime.UTC),
            }
        )
    return days


def day_segments(
    intervals: list[Interval], days: list[dict[str, Any]], users: dict[int, Any]
) -> list[list[dict[str, Any]]]:
    """One list of segments per day: who (None for a gap), the piece of the day they
    hold (``start``/``end``, aware; ``to_midnight`` when it runs to the day's end), the
    whole shift it belongs to (``shift_start``/``shift_end``, for "Cover this shift"),
    and its offset and width in percent of the day (for the bar)."""
    cells: list[list[dict[str, Any]]] = []
    for day in days:
        length = (day["end"] - day["start"]).total_seconds()
        segments = []
        for who, start, end in intervals:
            lo, hi = max(start, day["start"]), min(end, day["end"])
            if lo >= hi:
                continue
            segments.append(
                {
                    "user": users.get(who) if who is not None else None,
                    "user_id": who,
                    "gap": who is None,
                    "start": lo,
                    "end": hi,
                    "to_midnight": hi == day["end"],
                    "shift_start": start,
                    "shift_end": end,
                    "left": round((lo - day["start"]).total_seconds() / length * 100, 2),
                    "width": round((hi - lo).total_seconds() / length * 100, 2),
                }
            )
        cells.append(segments)
    return cells


def final_with_gaps(shifts: list[Any], gaps: list[tuple[datetime.datetime, datetime.datetime]]):
    """The final schedule's shifts and its gaps (who None) as one sorted interval list."""
    rows: list[Interval] = [(s.user, s.start, s.end) for s in shifts]
    rows += [(None, lo, hi) for lo, hi in gaps]
    rows.sort(key=lambda row: row[1])
    return rows
