"""Markdown export of a postmortem, for pasting into a wiki. Renders an already-loaded
postmortem (use postmortems.selectors.postmortem_get, which prefetches every section).

The sections come in the order and with the headings of ``postmortems.sections``;
grouped sections (the lessons learned) sit under their group's heading. The action
items, the review and any amendments follow the sections."""

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from postmortems.models import FactorCategory, Postmortem
from postmortems.sections import SECTIONS, Section, SectionKind


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return " ".join(text.split()).replace("|", "\\|") or "—"


def _text(value: str) -> str:
    return value.strip() or "_Not written yet._"


def _duration(delta: timedelta | None) -> str:
    if delta is None:
        return "ongoing"
    minutes = int(delta.total_seconds() // 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    parts = [f"{days} d" if days else "", f"{hours} h" if hours else "", f"{minutes} min"]
    return " ".join(p for p in parts if p)


def _user(user: Any) -> str:
    return user.get_username() if user is not None else "—"


def _dt(value: Any) -> str:
    return value.strftime("%Y-%m-%d %H:%M %Z") if value else "—"


def _header(postmortem: Postmortem) -> list[str]:
    incident = postmortem.incident
    return [
        f"# Postmortem: {incident.reference} {incident.title}",
        "",
        f"- **Status:** {postmortem.get_status_display()}",
        f"- **Owner:** {_user(postmortem.owner)}",
        f"- **Due:** {_dt(postmortem.due_at)}",
        f"- **Severity:** {incident.severity.name} ({incident.severity.label})",
        f"- **Started:** {_dt(incident.triggered_at)}",
        f"- **Resolved:** {_dt(incident.resolved_at)}",
        f"- **Duration:** {_duration(postmortem.duration)}",
        "",
    ]


def _text_section(postmortem: Postmortem, section: Section) -> list[str]:
    figures = [
        f"- **{figure.label}:** {_cell(getattr(postmortem, figure.name))}"
        for figure in section.figures
    ]
    return [*figures, *([""] if figures else []), _text(getattr(postmortem, section.name)), ""]


def _timeline(postmortem: Postmortem) -> list[str]:
    entries = list(postmortem.timeline_entries.all())
    rows = [f"| {_dt(e.occurred_at)} | {_cell(e.description)} |" for e in entries]
    return ["| Time | Event |", "| --- | --- |", *(rows or ["| — | — |"]), ""]


def _whys(postmortem: Postmortem) -> list[str]:
    lines: list[str] = []
    for index, why in enumerate(postmortem.whys.all(), start=1):
        lines += [f"{index}. **{why.question.strip()}**  ", f"   {why.answer.strip() or '—'}"]
    return [*(lines or ["_None yet._"]), ""]


def _contributing_factors(postmortem: Postmortem) -> list[str]:
    factors = list(postmortem.contributing_factors.all())
    lines: list[str] = []
    for category in FactorCategory:
        in_category = [f for f in factors if f.category == category.value]
        lines += [f"### {category.label}", ""]
        lines += [f"- {' '.join(f.description.split())}" for f in in_category] or ["- —"]
        lines.append("")
    return lines


# How each rows section of postmortems.sections is written out.
_ROWS: dict[str, Callable[[Postmortem], list[str]]] = {
    "timeline_entries": _timeline,
    "whys": _whys,
    "contributing_factors": _contributing_factors,
}


def _sections(postmortem: Postmortem) -> list[str]:
    lines: list[str] = []
    group = ""
    for section in SECTIONS:
        if section.group and section.group != group:
            lines += [f"## {section.group}", ""]
        group = section.group
        lines += [f"{'###' if section.group else '##'} {section.label}", ""]
        if section.kind == SectionKind.TEXT:
            lines += _text_section(postmortem, section)
        else:
            lines += _ROWS[section.name](postmortem)
    return lines


def _action_items(postmortem: Postmortem) -> list[str]:
    rows = [
        f"| {_cell(i.title)} | {_cell(_user(i.owner))} | {i.priority} | "
        f"{i.due_date:%Y-%m-%d} | {i.get_status_display()} |"
        for i in postmortem.action_items.all()
    ]
    return [
        "## Action items",
        "",
        "| Action | Owner | Priority | Due date | Status |",
        "| --- | --- | --- | --- | --- |",
        *(rows or ["| — | — | — | — | — |"]),
        "",
    ]


def _review(postmortem: Postmortem) -> list[str]:
    return [
        "## Review",
        "",
        f"- **Reviewed by:** {', '.join(_user(u) for u in postmortem.reviewers.all()) or '—'}",
        f"- **Approved by:** {_user(postmortem.approved_by)}",
        f"- **Published at:** {_dt(postmortem.published_at)}",
        f"- **Follow-up review:** {postmortem.follow_up_review_date or '—'}",
    ]


def _amendments(postmortem: Postmortem) -> list[str]:
    amendments = list(postmortem.amendments.all())
    if not amendments:
        return []
    return [
        "",
        "## Amendments",
        "",
        *(f"- {_dt(a.created_at)} by {_user(a.author)}: {a.reason}" for a in amendments),
    ]


def render(postmortem: Postmortem) -> str:
    lines = [
        *_header(postmortem),
        *_sections(postmortem),
        *_action_items(postmortem),
        *_review(postmortem),
        *_amendments(postmortem),
    ]
    return "\n".join(lines) + "\n"
