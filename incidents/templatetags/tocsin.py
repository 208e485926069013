"""Template filters of the pages: times in the reader's zone (``when``, ``relative``),
durations (``duration``, ``minutes``), percentages, dictionary lookups."""

from datetime import datetime, timedelta

from django import template
from django.utils import timezone
from django.utils.html import conditional_escape, format_html

register = template.Library()


@register.filter
def duration(seconds) -> str:
    """1234.5 → "20m 35s"; None → "–"."""
    if seconds is None:
        return "–"
    total = round(float(seconds))
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [(days, "d"), (hours, "h"), (minutes, "m"), (secs, "s")]
    shown = [f"{n}{unit}" for n, unit in parts if n][:2]
    return " ".join(shown) or "0s"


@register.filter
def percent(ratio) -> str:
    if ratio is None:
        return "–"
    return f"{float(ratio) * 100:.1f}%"


@register.filter
def get(mapping, key):
    return mapping.get(key) if mapping else None


@register.filter
def when(value, style: str = "") -> str:
    """An aware datetime as a ``<time>`` element in the reader's zone (the one the request
    activated): "4 Dec 17:54" this year, "4 Dec 2025 17:54" otherwise, the zone
    abbreviation, and "(3 min ago)" / "(in 2 h)" when ``style`` is "relative" or the
    moment is within a day. ``title`` holds the full date and zone name."""
    if not value:
        return "–"
    if not isinstance(value, datetime):
        return conditional_escape(value)
    local = timezone.localtime(value)
    now = timezone.now()
    fmt = "%-d %b %H:%M" if local.year == timezone.localtime(now).year else "%-d %b %Y %H:%M"
    text = f"{local.strftime(fmt)} {local.strftime('%Z')}"
    if style == "relative" or abs((now - value).total_seconds()) < 86400:
        text += f" ({relative(value)})"
    title = f"{local:%A %-d %B %Y %H:%M} {timezone.get_current_timezone_name()}"
    return format_html('<time datetime="{}" title="{}">{}</time>', value.isoformat(), title, text)


@register.filter
def relative(value) -> str:
    """ "just now", "3 min ago", "2 h 5 min ago", "in 40 min", "5 days ago"."""
    if not value:
        return "–"
    seconds = (timezone.now() - value).total_seconds()
    future = seconds < 0
    text = minutes(abs(seconds))
    if text == "0 min":
        return "just now"
    return f"in {text}" if future else f"{text} ago"


@register.filter
def minutes(seconds) -> str:
    """A duration in plain words, never thousands of minutes: 95 min → "1 h 35 min",
    30 h → "30 h"; from 2 days in days and hours (8993 min → "6 days 5 h"); under a minute
    → "0 min"; None → "–"."""
    if seconds is None:
        return "–"
    if isinstance(seconds, timedelta):
        seconds = seconds.total_seconds()
    total_minutes = int(float(seconds) // 60)
    days, rest = divmod(total_minutes, 1440)
    hours, mins = divmod(rest, 60)
    if days >= 2:
        return f"{days} days {hours} h" if hours else f"{days} days"
    hours += days * 24
    if hours:
        return f"{hours} h {mins} min" if mins else f"{hours} h"
    return f"{mins} min"
