"""iCal (RFC 5545) rendering of on-call shifts with the icalendar package."""

from collections.abc import Iterable
from datetime import datetime

from django.utils import timezone
from django.utils.text import slugify
from icalendar import Calendar, Event

from oncall.schedules.rotation import Shift


def shifts_calendar(
    *,
    name: str,
    shifts: Iterable[tuple[str, Shift]],
    usernames: dict[int, str],
    now: datetime | None = None,
) -> bytes:
    """``shifts`` are (schedule name, shift) pairs; times are written in UTC."""
    now = now or timezone.now()
    calendar = Calendar()
    calendar.add("prodid", "-//Tocsin//On-call//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", name)
    calendar.add("method", "PUBLISH")
    for schedule_name, shift in shifts:
        username = usernames.get(shift.user, f"user {shift.user}")
        event = Event()
        event.add(
            "uid", f"{slugify(schedule_name)}-{shift.user}-{shift.start:%Y%m%dT%H%M%SZ}@tocsin"
        )
        event.add("dtstamp", now)
        event.add("dtstart", shift.start)
        event.add("dtend", shift.end)
        event.add("summary", f"On call: {username} ({schedule_name})")
        calendar.add_component(event)
    return calendar.to_ical()
