"""A team's response process as a flowchart, one column per row of the severity matrix:
who is paged (the team's escalation policy and the first rule that pages that urgency),
the acknowledge and resolve targets, the status-page deadline and stakeholder-update
cadence (incidents.models.Severity, which incidents.communication's reminders enforce),
and the postmortem rule (``Severity.postmortem_required``, due
``POSTMORTEM_SLA_HOURS`` after resolving).

It lives here, not in oncall where the team page is, because it needs incidents and
postmortems, which the on-call app may not import; postmortems is the lowest app that
sees all of it. It plugs into the team page through ``oncall.teams.web.sections``
(registered from PostmortemsConfig.ready): the section and the SVG download.
"""

from typing import Any

from django.conf import settings
from django.urls import reverse

from common.errors import NotFound
from common.graphs import (
    chart_context,
    dot_label,
    flowchart_digraph,
    label_text,
    svg_render,
    svg_response,
)
from incidents.models import Severity
from incidents.selectors import severity_list
from incidents.templatetags.tocsin import duration
from oncall.policies.flowchart import first_rule_for, policy_rows_load
from oncall.policies.selectors import escalation_policy_get
from outbox.models import Urgency

DOWNLOAD_NAME = "response-process.svg"


def _span(value: Any) -> str:
    return duration(value.total_seconds())


def severity_steps(
    *, severity: Severity, policy: Any, postmortem_sla_hours: int
) -> list[tuple[str, list[str], str]]:
    """(kind, lines of its box, the same as a phrase) for each step of one severity, in
    order; plain text (the chart escapes it). Kinds: head, page, ack, status_page,
    updates, resolve, postmortem, postmortem_optional."""
    high = severity.urgency == Urgency.HIGH
    urgency = "high urgency: pages at once" if high else "low urgency: working hours"
    steps: list[tuple[str, list[str], str]] = [
        (
            "head",
            [f"{severity.name} · {severity.label}", urgency.capitalize()],
            f"{severity.name} ({severity.label}, {urgency})",
        )
    ]
    if policy is None:
        steps.append(("page", ["No escalation policy:", "nobody is paged"], "nobody is paged"))
    else:
        rule = first_rule_for(policy, high_urgency=high)
        if rule is None:
            steps.append(
                (
                    "page",
                    [f"{policy.name}:", "no rule pages this urgency"],
                    f"no rule of {policy.name} pages this urgency",
                )
            )
        else:
            targets = rule["targets"] or ["the team's managers"]
            where = f"({policy.name}, rule {rule['number']})"
            steps.append(
                (
                    "page",
                    ["Pages " + targets[0], *targets[1:], where],
                    f"pages {' and '.join(targets)} {where}",
                )
            )
    ack = f"acknowledge within {_span(severity.ack_target)}"
    steps.append(("ack", [ack.capitalize()], ack))
    if severity.status_page_deadline is not None:
        text = f"status page update within {_span(severity.status_page_deadline)}"
        steps.append(("status_page", [text.capitalize()], text))
    if severity.update_cadence is not None:
        every = f"every {_span(severity.update_cadence)} while open"
        steps.append(("updates", ["Stakeholder update", every], f"stakeholder update {every}"))
    resolve = f"resolve within {_span(severity.resolve_target)}"
    steps.append(("resolve", [resolve.capitalize()], resolve))
    if severity.postmortem_required:
        due = f"due {postmortem_sla_hours} h after resolving"
        steps.append(("postmortem", ["Postmortem required,", due], f"postmortem required, {due}"))
    else:
        steps.append(("postmortem_optional", ["Postmortem optional"], "postmortem optional"))
    return steps


STEP_STYLE = {
    "head": {
        "shape": "box",
        "style": "rounded,filled,bold",
        "fillcolor": "#fde2e1",
        "color": "#b42318",
    },
    "page": {"style": "rounded,filled", "fillcolor": "#e8f0fe", "color": "#1a56db"},
    "postmortem": {"style": "rounded,filled", "fillcolor": "#eeeeee"},
    "postmortem_optional": {"style": "rounded,dashed"},
}


def response_process_flowchart(
    *, team: Any, severities: list[Severity], policy: Any, postmortem_sla_hours: int
) -> Any:
    graph = flowchart_digraph()
    graph.attr(nodesep="0.25", ranksep="0.3")
    graph.attr(
        label=dot_label(label_text(f"How {team.name} responds, by severity", max_chars=120)),
        labelloc="t",
    )
    for severity in severities:
        previous = None
        steps = severity_steps(
            severity=severity, policy=policy, postmortem_sla_hours=postmortem_sla_hours
        )
        for index, (kind, lines, _phrase) in enumerate(steps):
            node = f"s{severity.pk}_{index}"
            graph.node(
                node, dot_label(*(label_text(line) for line in lines)), **STEP_STYLE.get(kind, {})
            )
            if previous is not None:
                graph.edge(previous, node)
            previous = node
    return graph


def response_process_outline(
    *, severities: list[Severity], policy: Any, postmortem_sla_hours: int
) -> list[str]:
    lines = []
    for severity in severities:
        steps = severity_steps(
            severity=severity, policy=policy, postmortem_sla_hours=postmortem_sla_hours
        )
        head, *rest = (phrase for _kind, _lines, phrase in steps)
        lines.append(f"{head}: " + "; ".join(rest) + ".")
    return lines or ["No severities are defined."]


def response_process_title(team: Any) -> str:
    return f"Flowchart of the response process of {team.name}"


def _rows(request: Any, team: Any) -> tuple[list[Severity], Any]:
    """The severity matrix and the team's default policy with its rules and targets, in
    a fixed number of queries."""
    severities = list(severity_list())
    policy = None
    if team.escalation_policy_id is not None:
        try:
            policy = escalation_policy_get(user=request.user, policy_id=team.escalation_policy_id)
        except NotFound:
            policy = None
        else:
            policy_rows_load([policy])
    return severities, policy


def team_response_process(request: Any, team: Any) -> dict[str, Any]:
    """The team page's section: the chart (or its text fallback) and its outline."""
    severities, policy = _rows(request, team)
    hours = settings.POSTMORTEM_SLA_HOURS
    chart = chart_context(
        graph=response_process_flowchart(
            team=team, severities=severities, policy=policy, postmortem_sla_hours=hours
        ),
        title=response_process_title(team),
        outline=response_process_outline(
            severities=severities, policy=policy, postmortem_sla_hours=hours
        ),
        download_url=reverse("web:team-response-process", args=[team.pk]),
    )
    return {"chart": chart, "team": team, "policy": policy}


def team_response_process_svg(request: Any, team: Any) -> Any:
    severities, policy = _rows(request, team)
    graph = response_process_flowchart(
        team=team,
        severities=severities,
        policy=policy,
        postmortem_sla_hours=settings.POSTMORTEM_SLA_HOURS,
    )
    return svg_response(
        lambda: svg_render(graph, title=response_process_title(team)),
        filename=f"team-{team.pk}-response-process.svg",
    )


def register() -> None:
    from oncall.teams.web.sections import register_download, register_section

    register_section(
        page="team_detail",
        name="response-process",
        template="flowcharts/_team_response_process.html",
        context=team_response_process,
        order=20,
    )
    register_download(name=DOWNLOAD_NAME, render=team_response_process_svg)
