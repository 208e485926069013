"""The drill report as Markdown (for a wiki page or a chat message). Pure: it reads only
the report it is given."""

from __future__ import annotations

from readiness.drills.scoring import duration_words
from readiness.drills.selectors import DrillReport

_MET = {True: "met", False: "**missed**", None: "–"}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def drill_report_markdown(report: DrillReport) -> str:
    drill = report.drill
    lines = [
        f"# Drill report: {_cell(drill.title)}",
        "",
        f"- Team: {drill.team.name}",
        f"- Service: {drill.service.name if drill.service else '–'}",
        f"- Severity: {drill.severity.name}",
        f"- Scheduled: {drill.scheduled_at:%Y-%m-%d %H:%M %Z}"
        + (" (announced)" if drill.announced else " (unannounced)"),
        f"- Status: {drill.get_status_display()}",
    ]
    if drill.incident is not None:
        lines.append(f"- Incident: {drill.incident.reference} (DRILL)")
    if drill.scenario:
        lines += ["", "## Scenario", "", drill.scenario]
    lines += ["", "## Measures", ""]
    if report.measures:
        lines += ["| Measure | Target | Actual | Result |", "| --- | --- | --- | --- |"]
        for m in report.measures:
            actual = duration_words(m.actual) + (f" ({m.note})" if m.note else "")
            lines.append(
                f"| {m.label} | {duration_words(m.target)} | {_cell(actual)} | {_MET[m.met]} |"
            )
    else:
        lines.append("Nothing measured yet: the drill has not started.")
    lines += ["", "## Findings", ""]
    findings = report.findings or []
    if findings:
        for f in findings:
            item = f.action_item
            follow = (
                f" → action item #{item.pk} ({item.priority}, {item.owner.get_username() if item.owner else 'no owner'}, due {item.due_date:%Y-%m-%d})"
                if item is not None
                else ""
            )
            lines.append(f"- {_cell(f.title)}: {_cell(f.detail)}{follow}")
    elif report.proposed:
        for p in report.proposed:
            lines.append(f"- (proposed) {_cell(p.title)}: {_cell(p.detail)}")
    else:
        lines.append("None: every target was met.")
    return "\n".join(lines) + "\n"
