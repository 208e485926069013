"""Pure arithmetic for the on-call load report (no database)."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

BUSINESS_DAYS = (1, 2, 3, 4, 5)


BUSINESS_START = time(9)


BUSINESS_END = time(17)


def business_seconds(start: datetime, end: datetime, time_zone: str) -> float:
    """Seconds of ``[start, end)`` inside Mon–Fri 09:00–17:00 local time in ``time_zone``."""
    if end <= start:
        return 0.0
    zone = ZoneInfo(time_zone)
    day = start.astimezone(zone).date() - timedelta(days=1)
    last = end.astimezone(zone).date() + timedelta(days=1)
    total = 0.0
    while day <= last:
        if day.isoweekday() in BUSINESS_DAYS:
            window_start = datetime.combine(day, BUSINESS_START, tzinfo=zone)
            window_end = datetime.combine(day, BUSINESS_END, tzinfo=zone)
            overlap = min(end, window_end) - max(start, window_start)
            total += max(overlap.total_seconds(), 0.0)
        day += timedelta(days=1)
    return total


def iso_week(instant: datetime) -> str:
    year, week, _ = instant.isocalendar()
    return f"{year}-W{week:02d}"
