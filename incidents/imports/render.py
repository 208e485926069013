"""A plan as lines of text, for the command (the staff page renders its own HTML)."""

from incidents.imports.plan import ACTIONS, Plan
from incidents.imports.sources import SOURCE_LABELS


def plan_lines(plan: Plan) -> list[str]:
    label = SOURCE_LABELS.get(plan.source, plan.source)
    lines = [f"Import from {label} (read {plan.read_at})", ""]
    for _kind, title, items in plan.by_kind():
        if not items:
            continue
        counts = ", ".join(
            f"{sum(1 for i in items if i.action == action)} {action}"
            for action in ACTIONS
            if any(i.action == action for i in items)
        )
        lines.append(f"{title}: {counts}")
        for item in items:
            lines.append(f"  {item.action:<6} {item.name} [{item.external_id}]: {item.reason}")
        lines.append("")
    if plan.unsupported:
        lines.append(f"Not carried over ({len(plan.unsupported)}):")
        for note in plan.unsupported:
            lines.append(f"  {note.source_ref}: {note.what}: {note.why}")
    else:
        lines.append("Everything read can be carried over.")
    return lines
