"""The paging engine: escalation of an incident through its policy, and page delivery.

State lives in ``IncidentEscalation`` and ``Page`` rows. Steps run from three callers that
may overlap freely: the first step inside the transaction that declares the incident, a
Celery task scheduled with an ETA for each later step (carrying the step's token), and the
beat sweep ``run_due_escalations``. Each takes the escalation row with
``select_for_update(skip_locked=True)`` and re-checks the token and due time under the lock,
so a stale, early or duplicate task does nothing and no step runs twice; the unique
constraint on pages is the last line of defence.
"""

from __future__ import annotations

from typing import Any

from incidents.models import Incident
from oncall.policies.models import EscalationPolicy

# --- policy and snapshot ----------------------------------------------------------------


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
                "targets": [
                    {"type": t.type, "id": t.target_id}
                    for t in sorted(rule.targets.all(), key=lambda t: t.pk)
                ],
            }
            for rule in rules
        ],
    }
