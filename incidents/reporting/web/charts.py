"""Inline SVG charts for the metrics page: pure functions of the metrics dictionary, so
the page needs no JavaScript chart library and no outside asset.

The page's Content-Security-Policy forbids inline styles, so the SVG carries only
presentation attributes (``fill``, ``font-size``…) and classes styled by
``static/css/metrics.css``. The left margin is wide enough for the longest axis label
("1,000 h"), and durations are shown in minutes or, from two hours up, in hours."""

import datetime
import math
from typing import Any

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

SEVERITY_COLOURS = ["#b42318", "#dc6803", "#eaaa08", "#667085", "#98a2b3", "#d0d5dd"]
MTTA_COLOUR, MTTR_COLOUR = "#1570ef", "#7a1f1f"

# Small enough that a phone shows the labels at about 10 px, the page's CSS caps the size.
WIDTH, HEIGHT = 520, 270
LEFT, RIGHT, TOP, BOTTOM = 70, 14, 30, 62  # the plot's margins: axis labels, legend
FONT = 14
TICKS = 4
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
PLOT_W = WIDTH - LEFT - RIGHT
PLOT_H = HEIGHT - TOP - BOTTOM


def _axis_top(largest: float) -> float:
    """The top of the y axis: ``TICKS`` steps of a round size (1, 2 or 5 × 10ⁿ, at least
    1), the smallest that reaches ``largest``."""
    wanted = max(largest / TICKS, 1.0)
    power = 10 ** math.floor(math.log10(wanted))
    step = next(m * power for m in (1, 2, 5, 10) if wanted <= m * power)
    return step * TICKS


def _number(value: float) -> str:
    return f"{value:,.0f}" if value >= 10 or value == int(value) else f"{value:.1f}"


def _week_label(week_start: str) -> str:
    day = datetime.date.fromisoformat(week_start[:10])
    return f"{day.day} {MONTHS[day.month - 1]}"


def _frame(title: str, body: list[str], top_value: float, unit: str, axis_title: str) -> str:
    """The SVG around ``body``: the y axis from 0 to ``top_value`` with gridlines and
    labels in ``unit``, the x axis, and the title for screen readers."""
    lines = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'role="img" aria-label="{escape(title)}" class="chart" font-size="{FONT}">',
        f"<title>{escape(title)}</title>",
    ]
    for tick in range(TICKS + 1):
        value = top_value * tick / TICKS
        y = TOP + PLOT_H - PLOT_H * tick / TICKS
        lines.append(
            f'<line class="grid" x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" '
            f'stroke="{"#98a2b3" if tick == 0 else "#eaecf0"}"/>'
        )
        label = _number(value) + (f" {unit}" if unit and tick else "")
        lines.append(
            f'<text x="{LEFT - 6}" y="{y + FONT / 3:.1f}" text-anchor="end" fill="#475467">'
            f"{escape(label)}</text>"
        )
    if axis_title:
        lines.append(
            f'<text x="4" y="{TOP - 14}" text-anchor="start" fill="#475467" '
            f'font-size="{FONT - 2}">{escape(axis_title)}</text>'
        )
    lines.extend(body)
    lines.append("</svg>")
    return "\n".join(lines)


def _x_labels(weeks: list[dict[str, Any]], slot: float) -> list[str]:
    # At most six labels, so they never overlap.
    every = max(math.ceil(len(weeks) / 6), 1)
    return [
        f'<text x="{LEFT + i * slot + slot / 2:.1f}" y="{TOP + PLOT_H + FONT + 4}" '
        f'text-anchor="middle" fill="#475467">{escape(_week_label(week["week_start"]))}</text>'
        for i, week in enumerate(weeks)
        if i % every == 0
    ]


def _legend(entries: list[tuple[str, str]]) -> list[str]:
    body = []
    x = LEFT
    y = HEIGHT - 14
    for name, colour in entries:
        body.append(
            f'<rect x="{x}" y="{y - 10}" width="12" height="12" fill="{colour}"/>'
            f'<text x="{x + 17}" y="{y}" fill="#1f2328">{escape(name)}</text>'
        )
        x += 17 + int(len(name) * FONT * 0.62) + 18
    return body


def stacked_weekly_counts(figures: dict[str, Any]) -> SafeString:
    """Incidents per week, stacked by severity."""
    weeks = figures["by_week"]
    severities = list(figures["by_severity"])
    top = _axis_top(max([w["incident_count"] for w in weeks] + [1]))
    slot = PLOT_W / max(len(weeks), 1)
    bar = max(min(slot * 0.7, 48), 1)
    body = []
    for i, week in enumerate(weeks):
        x = LEFT + i * slot + (slot - bar) / 2
        y = TOP + PLOT_H
        for j, name in enumerate(severities):
            count = week["incident_count_by_severity"].get(name, 0)
            if not count:
                continue
            h = PLOT_H * count / top
            y -= h
            body.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}" '
                f'fill="{SEVERITY_COLOURS[j % len(SEVERITY_COLOURS)]}">'
                f"<title>Week of {escape(_week_label(week['week_start']))}, "
                f"{escape(name)}: {count}</title></rect>"
            )
    body += _x_labels(weeks, slot)
    body += _legend(
        [(name, SEVERITY_COLOURS[j % len(SEVERITY_COLOURS)]) for j, name in enumerate(severities)]
    )
    svg = _frame("Incidents per week by severity", body, top, "", "Incidents")
    return mark_safe(svg)  # noqa: S308 - every interpolated label is escaped


def weekly_mtta_mttr(figures: dict[str, Any]) -> SafeString:
    """Mean time to acknowledge and to resolve per week, as two lines; in minutes, or in
    hours when the longest is two hours or more."""
    weeks = figures["by_week"]
    raw = {
        "MTTA": [w["mtta_seconds"]["mean"] for w in weeks],
        "MTTR": [w["mttr_seconds"]["mean"] for w in weeks],
    }
    longest = max([v for points in raw.values() for v in points if v is not None] + [60.0])
    unit, per = ("h", 3600.0) if longest >= 7200 else ("min", 60.0)
    top = _axis_top(longest / per)
    slot = PLOT_W / max(len(weeks), 1)
    body = []
    colours = {"MTTA": MTTA_COLOUR, "MTTR": MTTR_COLOUR}
    for name, points in raw.items():
        colour = colours[name]
        coords = [
            (LEFT + i * slot + slot / 2, TOP + PLOT_H - PLOT_H * (seconds / per) / top, seconds)
            for i, seconds in enumerate(points)
            if seconds is not None
        ]
        if not coords:
            continue
        if len(coords) > 1:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y, _ in coords)
            body.append(
                f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2.5"/>'
            )
        body.extend(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{colour}">'
            f"<title>{name}: {escape(_number(seconds / per))} {unit}</title></circle>"
            for x, y, seconds in coords
        )
    body += _x_labels(weeks, slot)
    body += _legend(
        [
            ("MTTA (acknowledge)", MTTA_COLOUR),
            ("MTTR (resolve)", MTTR_COLOUR),
        ]
    )
    title = "Mean time to acknowledge and to resolve per week"
    svg = _frame(title, body, top, unit, "hours" if unit == "h" else "minutes")
    return mark_safe(svg)  # noqa: S308 - every interpolated label is escaped
