"""The incident lifecycle as a flowchart, drawn from the allowed-transition table of
``incidents.services.lifecycle``: the statuses in order, the step to the next status,
the skips forward the table allows, and the reopen back to the start — with an incident's
current status highlighted. Pure: no database access."""

from typing import Any

from common.graphs import dot_label, flowchart_digraph
from incidents.models import STATUS_ORDER, IncidentStatus
from incidents.services.lifecycle import ALLOWED_TRANSITIONS, REOPEN_TARGET

NOW_FILL = "#fff1c2"
NOW_STROKE = "#9a6700"


def lifecycle_transitions() -> list[tuple[str, str, str]]:
    """(from, to, kind) for every move: ``next`` (the following status), ``skip`` (a
    later one) and ``reopen``."""
    moves = []
    for status in STATUS_ORDER:
        following = STATUS_ORDER.index(status) + 1
        for target in ALLOWED_TRANSITIONS[status]:
            is_next = following < len(STATUS_ORDER) and target == STATUS_ORDER[following]
            moves.append((status, target, "next" if is_next else "skip"))
    moves.append((IncidentStatus.RESOLVED, REOPEN_TARGET, "reopen"))
    return moves


def lifecycle_outline(current: str | None = None) -> list[str]:
    labels = dict(IncidentStatus.choices)
    lines = []
    for status in STATUS_ORDER:
        targets = [labels[t] for t in ALLOWED_TRANSITIONS[status]]
        now = " (this incident is here)" if status == current else ""
        if targets:
            lines.append(f"{labels[status]}{now}: can move on to {', '.join(targets)}.")
        else:
            lines.append(
                f"{labels[status]}{now}: reopening moves it back to {labels[REOPEN_TARGET]}."
            )
    return lines


def lifecycle_flowchart(current: str | None = None) -> Any:
    """The lifecycle as a ``graphviz.Digraph``; ``current`` (a status) is highlighted."""
    labels = dict(IncidentStatus.choices)
    graph = flowchart_digraph(rankdir="TB")
    graph.attr(nodesep="0.3", ranksep="0.35")
    graph.attr(
        label=dot_label("Grey arrows: skipping ahead", "Dashed: reopening"),
        labelloc="b",
        fontsize="10",
    )
    for status in STATUS_ORDER:
        if status == current:
            graph.node(
                status,
                dot_label(labels[status], "(now)"),
                style="rounded,filled,bold",
                fillcolor=NOW_FILL,
                color=NOW_STROKE,
                penwidth="2.5",
            )
        else:
            graph.node(status, dot_label(labels[status]))
    for source, target, kind in lifecycle_transitions():
        if kind == "next":
            graph.edge(source, target, weight="10")
        elif kind == "skip":
            graph.edge(source, target, color="#aaaaaa", arrowsize="0.6", constraint="false")
        else:
            graph.edge(source, target, dot_label("reopen"), style="dashed", constraint="false")
    return graph


def lifecycle_title(current: str | None = None) -> str:
    if current is None:
        return "Flowchart of the incident lifecycle"
    return f"Flowchart of the incident lifecycle; this incident is {current}"
