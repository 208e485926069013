"""Time zones of people: validating an IANA name, and when a person's working hours next
hold (low-urgency notifications wait for them)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.exceptions import ValidationError


def zone_or_none(name: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: "America" is a folder
        return None


def iana_zone_validate(name: str) -> None:
    if not name or zone_or_none(name) is None:
        raise ValidationError(f"{name!r} is not an IANA time zone (e.g. Europe/Berlin).")


def working_hours_next(
    now: dt.datetime,
    *,
    time_zone: str,
    starts: dt.time,
    ends: dt.time,
    days: str,
) -> dt.datetime:
    """``now`` if it falls inside the working hours (in ``time_zone``, on the ISO weekdays
    listed in ``days``), else the next moment they begin. Hours that end before they
    start run past midnight (a night shift). No working day at all: ``now``."""
    zone = zone_or_none(time_zone) or ZoneInfo("UTC")
    workdays = {int(c) for c in days if c in "1234567"}
    if not workdays or starts == ends:
        return now
    local = now.astimezone(zone)
    for offset in range(-1, 9):
        day = local.date() + dt.timedelta(days=offset)
        if day.isoweekday() not in workdays:
            continue
        start = _at(day, starts, zone)
        end_day = day if ends > starts else day + dt.timedelta(days=1)
        end = _at(end_day, ends, zone)
        if start <= now < end:
            return now
        if start > now:
            return start
    return now


def _at(day: dt.date, time: dt.time, zone: ZoneInfo) -> dt.datetime:
    """A wall-clock time on a day in a zone; a time skipped by a DST change moves on."""
    local = dt.datetime.combine(day, time, tzinfo=zone)
    return local.astimezone(dt.UTC).astimezone(zone)
