"""Time zones of people: validating an IANA name, and when a person's working hours next
hold (low-urgency notifications wait for them)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo, available_timezones

from django.core.exceptions import ValidationError

_ZONES: set[str] = set()


def _zones() -> set[str]:
    if not _ZONES:
        _ZONES.update(available_timezones())
        _ZONES.add("UTC")
    return _ZONES


def time_zone_problems(name: str) -> list[str]:
    """What is wrong with ``name`` as a time zone (nothing for an IANA name): the one
    check behind schedules, people's preferences, the admin and the pages."""
    if name not in _zones():
        return [f"Unknown time zone {name!r}; use an IANA name such as Europe/London."]
    return []


def zone_or_none(name: str | None) -> ZoneInfo | None:
    if not name or time_zone_problems(name):
        return None
    return ZoneInfo(name)


def iana_zone_validate(name: str) -> None:
    problems = time_zone_problems(name)
    if problems:
        raise ValidationError(problems)


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
