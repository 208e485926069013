"""An escalation policy as a flowchart: its rules in order, each paging its targets (only
for high-urgency incidents when the rule says so), the wait before the next rule, the
repeats, and how the escalation ends — drawn as the paging engine runs the policy
(incidents.paging.services.steps: a skipped rule still waits its delay; a rule with nobody
to page falls back to the team's managers).

Pure: it reads the policy's already-loaded rows (``policy.rules.all()`` with each rule's
``targets.all()`` and their ``user``/``schedule``/``team``; see ``policy_rows_load``)."""

from typing import Any

from django.db.models import prefetch_related_objects

from common.graphs import dot_label, flowchart_digraph, label_text

ACK_NOTE = "Acknowledging the incident stops the escalation at any step."
NOBODY = "Nobody: the team's managers are paged instead"


def policy_rows_load(policies: list[Any]) -> None:
    """The targets' people, schedules and teams of policies fetched with their rules and
    targets (``escalation_policy_list``), in three queries whatever the number of rows."""
    prefetch_related_objects(
        policies, "rules__targets__user", "rules__targets__schedule", "rules__targets__team"
    )


def target_label(target: Any) -> str:
    """Who a target pages, in the words of the policy editor."""
    if target.type == "user" and target.user is not None:
        return target.user.get_full_name() or target.user.get_username()
    if target.type == "schedule" and target.schedule is not None:
        return f"Whoever is on call for {target.schedule.name}"
    if target.type == "team" and target.team is not None:
        return f"Everyone in {target.team.name}"
    return "someone no longer in the team"


def rule_rows(policy: Any) -> list[dict[str, Any]]:
    """The rules in order with when each starts (minutes after the incident triggered,
    first round) and the labels of its targets."""
    rows, elapsed = [], 0
    for index, rule in enumerate(policy.rules.all()):
        rows.append(
            {
                "number": index + 1,
                "starts_after": elapsed,
                "delay_minutes": rule.delay_minutes,
                "high_urgency_only": rule.high_urgency_only,
                "targets": [target_label(t) for t in rule.targets.all()],
            }
        )
        elapsed += rule.delay_minutes
    return rows


def first_rule_for(policy: Any, *, high_urgency: bool) -> dict[str, Any] | None:
    """The first rule that pages an incident of this urgency (low urgency skips the
    high-urgency-only rules), or None when none does."""
    for row in rule_rows(policy):
        if high_urgency or not row["high_urgency_only"]:
            return row
    return None


def policy_outline(policy: Any) -> list[str]:
    """The flowchart as sentences, one per rule (the page's text alternative)."""
    lines = []
    for row in rule_rows(policy):
        who = " and ".join(row["targets"]) or NOBODY.lower()
        condition = " (high-urgency incidents only)" if row["high_urgency_only"] else ""
        lines.append(
            f"Rule {row['number']}, at {row['starts_after']} min: page {who}{condition}; "
            f"if nobody acknowledges within {row['delay_minutes']} min, go on."
        )
    if not lines:
        lines.append("The policy has no rules: nobody is paged.")
    elif policy.repeat:
        lines.append(
            f"After the last rule the rules run again, {policy.repeat} more "
            f"time{'s' if policy.repeat != 1 else ''}."
        )
    lines.append(ACK_NOTE)
    return lines


def policy_flowchart(policy: Any) -> Any:
    """The policy as a ``graphviz.Digraph``. Node names are ours (``r1``, ``d1``); names
    people typed only ever appear in labels, through ``label_text``."""
    graph = flowchart_digraph()
    graph.attr(label=dot_label(ACK_NOTE), labelloc="b", labeljust="c")
    graph.node(
        "start",
        dot_label("Incident triggered", label_text(f"Policy: {policy.name}")),
        shape="oval",
        style="filled",
        fillcolor="#fde2e1",
        color="#b42318",
    )
    rows = rule_rows(policy)
    end_label = (
        ("Escalation ends", "nobody acknowledged")
        if rows
        else ("The policy has no rules", "nobody is paged")
    )
    graph.node("end", dot_label(*end_label), shape="oval", style="filled", fillcolor="#eeeeee")
    # The node each rule's path enters: its urgency check, if it has one, else the rule.
    entries = [
        f"d{row['number']}" if row["high_urgency_only"] else f"r{row['number']}" for row in rows
    ]
    after_last = "end"
    if rows and policy.repeat:
        after_last = "again"
        graph.node(
            "again",
            dot_label(
                "Rounds left?",
                f"(the rules run {policy.repeat} more time{'s' if policy.repeat != 1 else ''})",
            ),
            shape="diamond",
            style="",
        )
        graph.edge("again", entries[0], dot_label("yes: from rule 1"), constraint="false")
        graph.edge("again", "end", dot_label("no"))
    graph.edge("start", entries[0] if rows else "end")
    for index, row in enumerate(rows):
        number = row["number"]
        rule_node = f"r{number}"
        following = entries[index + 1] if index + 1 < len(rows) else after_last
        targets = [label_text(t) for t in row["targets"]] or [NOBODY]
        graph.node(
            rule_node,
            dot_label(f"Rule {number} · at {row['starts_after']} min", "Page:", *targets),
            style="rounded,filled",
            fillcolor="#e8f0fe",
            color="#1a56db",
        )
        wait = dot_label("not acknowledged", f"after {row['delay_minutes']} min")
        if row["high_urgency_only"]:
            check = f"d{number}"
            graph.node(check, dot_label("High-urgency", "incident?"), shape="diamond", style="")
            graph.edge(check, rule_node, dot_label("yes"))
            graph.edge(
                check,
                following,
                dot_label("no: skip rule", f"wait {row['delay_minutes']} min"),
                style="dashed",
            )
        graph.edge(rule_node, following, wait)
    return graph


def policy_flowchart_title(policy: Any) -> str:
    return f"Flowchart of the escalation policy {policy.name}"
