"""Which escalation policy pages an incident (a service's own policy wins over its team's
default), and the snapshot of it that an escalation runs on: the rules with their delays
and targets, taken once when escalation starts so later edits never change an escalation
in flight."""

from __future__ import annotations

from typing import Any

from incidents.models import Incident
from oncall.policies.models import EscalationPolicy


def escalation_policy_for(*, incident: Incident) -> EscalationPolicy | None:
    """A service's own policy wins over the team's default (first service by name)."""
    service = (
        incident.services.filter(escalation_policy__isnull=False)
        .select_related("escalation_policy")
        .order_by("name")
        .first()
    )
    if service is not None:
        return service.escalation_policy
    # Read the team's default from the database, not from ``incident.team``: the caller's
    # team instance may predate the policy being set (seed_demo sets it mid-run).
    return EscalationPolicy.objects.filter(default_for_teams=incident.team_id).first()


def policy_snapshot(policy: EscalationPolicy) -> dict[str, Any]:
    rules = policy.rules.order_by("position", "id").prefetch_related("targets")
    return {
        "policy_id": policy.pk,
        "name": policy.name,
        "repeat": policy.repeat,
        "rules": [
            {
                "delay_minutes": rule.delay_minutes,
                "high_urgency_only": rule.high_urgency_only,
                "targets": [
                    {"type": t.type, "id": t.target_id}
                    for t in sorted(rule.targets.all(), key=lambda t: t.pk)
                ],
            }
            for rule in rules
        ],
    }
