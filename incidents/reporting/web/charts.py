"""Inline SVG charts for the metrics page: pure functions of the metrics dictionary, so
the page needs no JavaScript chart library and no outside asset."""

from typing import Any

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

SEVERITY_COLOURS = ["#b42318", "#dc6803", "#eaaa08", "#667085", "#98a2b3", "#d0d5dd"]


WIDTH, HEIGHT, LEFT, BOTTOM, TOP = 720, 220, 40, 40, 20


def _frame(title: str, body: list[str], max_value: float, unit: str) -> SafeString:
    plot_h = HEIGHT - BOTTOM - TOP
    lines = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'role="img" aria-label="{escape(title)}" class="chart">',
        f"<title>{escape(title)}</title>",
        f'<line x1="{LEFT}" y1="{TOP + plot_h}" x2="{WIDTH}" y2="{TOP + plot_h}" stroke="#999"/>',
        f'<text x="{LEFT - 4}" y="{TOP + 4}" text-anchor="end" font-size="10">'
        f"{escape(_short(max_value))}{escape(unit)}</text>",
        f'<text x="{LEFT - 4}" y="{TOP + plot_h}" text-anchor="end" font-size="10">0</text>',
        *body,
        "</svg>",
    ]
    return mark_safe("\n".join(lines))  # noqa: S308 - every interpolated label is escaped


def _short(value: float) -> str:
    return f"{value:.0f}" if value >= 10 or value == int(value) else f"{value:.1f}"


def stacked_weekly_counts(figures: dict[str, Any]) -> SafeString:
    """Incidents per week, stacked by severity."""
    weeks = figures["by_week"]
    severities = list(figures["by_severity"])
    max_count = max([w["incident_count"] for w in weeks] + [1])
    plot_h = HEIGHT - BOTTOM - TOP
    slot = (WIDTH - LEFT) / max(len(weeks), 1)
    bar = max(slot * 0.7, 1)
    body = []
    for i, week in enumerate(weeks):
        x = LEFT + i * slot + (slot - bar) / 2
        y = TOP + plot_h
        for j, name in enumerate(severities):
            count = week["incident_count_by_severity"].get(name, 0)
            if not count:
                continue
            h = plot_h * count / max_count
            y -= h
            body.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}" '
                f'fill="{SEVERITY_COLOURS[j % len(SEVERITY_COLOURS)]}">'
                f"<title>{escape(week['week_start'])} {escape(name)}: {count}</title></rect>"
            )
        if len(weeks) <= 16 or i % max(len(weeks) // 12, 1) == 0:
            body.append(
                f'<text x="{x + bar / 2:.1f}" y="{HEIGHT - BOTTOM + 14}" font-size="9" '
                f'text-anchor="middle">{escape(week["week_start"][5:])}</text>'
            )
    for j, name in enumerate(severities):
        body.append(
            f'<rect x="{LEFT + j * 70}" y="{HEIGHT - 14}" width="10" height="10" '
            f'fill="{SEVERITY_COLOURS[j % len(SEVERITY_COLOURS)]}"/>'
            f'<text x="{LEFT + j * 70 + 14}" y="{HEIGHT - 5}" font-size="10">{escape(name)}</text>'
        )
    return _frame("Incidents per week by severity", body, max_count, "")


def weekly_mtta_mttr(figures: dict[str, Any]) -> SafeString:
    """Mean time to acknowledge and to resolve per week, in minutes, as two lines."""
    weeks = figures["by_week"]
    series = {
        "MTTA": ([_minutes(w["mtta_seconds"]["mean"]) for w in weeks], "#1570ef"),
        "MTTR": ([_minutes(w["mttr_seconds"]["mean"]) for w in weeks], "#7a1f1f"),
    }
    values = [v for points, _ in series.values() for v in points if v is not None]
    max_value = max([*values, 1.0])
    plot_h = HEIGHT - BOTTOM - TOP
    slot = (WIDTH - LEFT) / max(len(weeks), 1)
    body = []
    for k, (name, (points, colour)) in enumerate(series.items()):
        coords = [
            (LEFT + i * slot + slot / 2, TOP + plot_h - plot_h * value / max_value)
            for i, value in enumerate(points)
            if value is not None
        ]
        if coords:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
            body.append(
                f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>'
            )
            body.extend(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}"/>' for x, y in coords
            )
        body.append(
            f'<rect x="{LEFT + k * 70}" y="{HEIGHT - 14}" width="10" height="10" fill="{colour}"/>'
            f'<text x="{LEFT + k * 70 + 14}" y="{HEIGHT - 5}" font-size="10">{name} (min)</text>'
        )
    return _frame("Mean time to acknowledge and to resolve per week", body, max_value, " min")


def _minutes(seconds: float | None) -> float | None:
    return None if seconds is None else seconds / 60
