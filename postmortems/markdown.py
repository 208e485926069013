"""Markdown export of a postmortem, for pasting into a wiki. Renders an already-loaded
postmortem (use postmortems.selectors.postmortem_get, which prefetches every section)."""

from datetime import timedelta
from typing import Any

from postmortems.models import FactorCategory, Postmortem


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


def render(postmortem: Postmortem) -> str:
    incident = postmortem.incident
    lines: list[str] = [
        f"# Postmortem: {incident.reference} {incident.title}",
        "",
        f"- **Status:** {postmortem.get_status_display()}",
        f"- **Owner:** {_user(postmortem.owner)}",
        f"- **Due:** {_dt(postmortem.due_at)}",
        "",
        "## Summary",
        "",
        _text(postmortem.summary),
        "",
        "## Duration, severity and impact",
        "",
        f"- **Severity:** {incident.severity.name} ({incident.severity.label})",
        f"- **Started:** {_dt(incident.triggered_at)}",
        f"- **Resolved:** {_dt(incident.resolved_at)}",
        f"- **Duration:** {_duration(postmortem.duration)}",
        f"- **Users affected:** {_cell(postmortem.users_affected)}",
        f"- **Failed operations:** {_cell(postmortem.failed_operations)}",
        f"- **Estimated revenue loss:** {_cell(postmortem.estimated_revenue_loss)}",
        f"- **Support tickets:** {_cell(postmortem.support_tickets)}",
        "",
        _text(postmortem.impact),
        "",
        "## Timeline",
        "",
        "| Time | Event |",
        "| --- | --- |",
    ]
    entries = list(postmortem.timeline_entries.all())
    lines += [f"| {_dt(e.occurred_at)} | {_cell(e.description)} |" for e in entries]
    if not entries:
        lines.append("| — | — |")
    lines += ["", "## Root cause", "", _text(postmortem.root_cause), "", "## Five whys", ""]
    whys = list(postmortem.whys.all())
    for index, why in enumerate(whys, start=1):
        lines += [f"{index}. **{why.question.strip()}**  ", f"   {why.answer.strip() or '—'}"]
    if not whys:
        lines.append("_None yet._")
    lines += ["", "## Contributing factors", ""]
    factors = list(postmortem.contributing_factors.all())
    for category in FactorCategory:
        in_category = [f for f in factors if f.category == category.value]
        lines.append(f"### {category.label}")
        lines.append("")
        lines += [f"- {' '.join(f.description.split())}" for f in in_category] or ["- —"]
        lines.append("")
    lines += [
        "## What went well",
        "",
        _text(postmortem.what_went_well),
        "",
        "## What went wrong",
        "",
        _text(postmortem.what_went_wrong),
        "",
        "## Lessons learned",
        "",
        "### Technical",
        "",
        _text(postmortem.lessons_technical),
        "",
        "### Process",
        "",
        _text(postmortem.lessons_process),
        "",
        "### Communication",
        "",
        _text(postmortem.lessons_communication),
        "",
        "## Action items",
        "",
        "| Action | Owner | Priority | Due date | Status |",
        "| --- | --- | --- | --- | --- |",
    ]
    items = list(postmortem.action_items.all())
    lines += [
        f"| {_cell(i.title)} | {_cell(_user(i.owner))} | {i.priority} | "
        f"{i.due_date:%Y-%m-%d} | {i.get_status_display()} |"
        for i in items
    ]
    if not items:
        lines.append("| — | — | — | — | — |")
    lines += [
        "",
        "## Supporting data and references",
        "",
        _text(postmortem.supporting_data),
        "",
        "## Review",
        "",
        f"- **Reviewed by:** {', '.join(_user(u) for u in postmortem.reviewers.all()) or '—'}",
        f"- **Approved by:** {_user(postmortem.approved_by)}",
        f"- **Published at:** {_dt(postmortem.published_at)}",
        f"- **Follow-up review:** {postmortem.follow_up_review_date or '—'}",
    ]
    amendments = list(postmortem.amendments.all())
    if amendments:
        lines += ["", "## Amendments", ""]
        lines += [f"- {_dt(a.created_at)} by {_user(a.author)}: {a.reason}" for a in amendments]
    return "\n".join(lines) + "\n"
