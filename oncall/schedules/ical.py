"""iCal (RFC 5545) rendering of on-call shifts with the icalendar package."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone
from icalendar import Calendar, Event

from oncall.schedules.rotation import Shift


@dataclass(frozen=True)
class FeedSchedule:
    id: int
    label: str  # "Payments: Primary"


def shifts_calendar(
    *,
    name: str,
    shifts: Iterable[tuple[FeedSchedule, Shift]],
    usernames: dict[int, str],
    now: datetime | None = None,
) -> bytes:
    """``shifts`` are (schedule, shift) pairs; times are written in UTC.

    A shift's UID is made of the schedule's id (not its name: two teams' "Primary"
    schedules are different calendars), the person and the shift's start, so the same
    shift keeps its UID from one fetch to the next and calendars update it in place."""
    now = now or timezone.now()
    calendar = Calendar()
    calendar.add("prodid", "-//Tocsin//On-call//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", name)
    calendar.add("method", "PUBLISH")
    for schedule, shift in shifts:
        username = usernames.get(shift.user, f"user {shift.user}")
        event = Event()
        event.add(
            "uid",
            f"schedule-{schedule.id}-user-{shift.user}-{shift.start:%Y%m%dT%H%M%SZ}@tocsin",
        )
        event.add("dtstamp", now)
        event.add("dtstart", shift.start)
        event.add("dtend", shift.end)
        event.add("summary", f"On call: {username} ({schedule.label})")
        calendar.add_component(event)
    return calendar.to_ical()
