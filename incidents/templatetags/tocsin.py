"""Template filters of the pages: durations, percentages, dictionary lookups."""

from django import template

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
