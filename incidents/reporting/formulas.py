"""The fixed quantities of the incident metrics (the percentiles reported, the default
and the longest period, the range of accepted dates, the pattern a team slug or severity
name must match) and the week an instant belongs to. Pure: no database access."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

PERCENTILES = (("p50", 0.5), ("p90", 0.9))
DEFAULT_PERIOD = timedelta(days=28)
MAX_PERIOD = timedelta(weeks=520)
WEEK = timedelta(weeks=1)
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(9000, 1, 1, tzinfo=UTC)
NAME_PATTERN = re.compile(r"^[-\w]{1,100}$", re.ASCII)


def week_start(moment: datetime) -> datetime:
    """Monday 00:00 UTC of the ISO week of ``moment``."""
    day = moment.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return day - timedelta(days=day.weekday())
