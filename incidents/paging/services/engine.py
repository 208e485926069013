"""Starting and stopping the escalation of an incident (called from the incident's
consequences, inside the transaction that holds its lock).

Starting snapshots the policy (editing a policy never changes an escalation in flight)
and runs the first step at once; a reopened incident starts a new run from the first
rule. An incident whose services are all under maintenance is recorded, not paged.
Stopping (acknowledged or resolved) takes a new token, so every scheduled step becomes
stale, and cancels the pages not yet sent.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone

from incidents.models import Incident, TimelineEventKind
from incidents.paging.models import EscalationState, IncidentEscalation, new_token
from incidents.paging.services.delivery import pages_cancel
from incidents.paging.services.snapshot import escalation_policy_for, policy_snapshot
from incidents.paging.services.steps import escalation_step_run_locked
from incidents.selectors import services_maintenance_until
from incidents.services import timeline_event_create

logger = logging.getLogger(__name__)


def escalation_start(*, incident: Incident, actor: AbstractBaseUser | None = None) -> None:
    """Start (or, on reopen, restart) escalating ``incident``: snapshot its policy and page
    the first rule at once. Runs inside the caller's transaction, which holds the incident's
    lock; deliveries go out on commit."""
    now = timezone.now()
    policy = escalation_policy_for(incident=incident)
    if policy is None and not IncidentEscalation.objects.filter(incident=incident).exists():
        # Paging is opt-in per team: a team without a policy has not set up on-call yet.
        logger.debug("Incident %s: no escalation policy, nobody paged", incident.pk)
        return
    if _not_paged_for_maintenance(incident=incident, at=now):
        return
    snapshot = policy_snapshot(policy) if policy is not None else {}
    escalation = IncidentEscalation.objects.select_for_update().filter(incident=incident).first()
    if escalation is None:
        escalation = IncidentEscalation(incident=incident, run=1, started_at=now)
    else:
        escalation.run += 1
    escalation.policy = policy
    escalation.policy_snapshot = snapshot
    escalation.rule_index = 0
    escalation.loop = 0
    escalation.token = new_token()
    escalation.started_at = now
    escalation.stopped_at = None
    if not snapshot.get("rules"):
        escalation.state = EscalationState.EXHAUSTED
        escalation.next_escalation_at = None
        escalation.stopped_at = now
        escalation.save()
        reason = "has no rules" if policy is not None else "is not set for this team or service"
        timeline_event_create(
            incident=incident,
            kind=TimelineEventKind.ESCALATION,
            message=f"Nobody paged: the escalation policy {reason}.",
            data={"event": "no_policy", "policy": snapshot.get("name")},
        )
        return
    escalation.state = EscalationState.ACTIVE
    escalation.next_escalation_at = now
    escalation.save()
    timeline_event_create(
        incident=incident,
        kind=TimelineEventKind.ESCALATION,
        actor=actor,
        message=f"Escalation {'restarted' if escalation.run > 1 else 'started'} "
        f"with policy {snapshot['name']}.",
        data={"event": "started", "policy": snapshot["name"], "run": escalation.run},
    )
    escalation_step_run_locked(escalation=escalation, incident=incident, now=now)


def _not_paged_for_maintenance(*, incident: Incident, at: datetime) -> bool:
    """An incident whose services are ALL under maintenance is recorded but nobody is
    paged: a timeline event says why and until when. An incident without services, or
    with one service outside maintenance, is paged as usual."""
    services = list(incident.services.order_by("name").values_list("pk", "name"))
    if not services:
        return False
    until = services_maintenance_until(service_ids=[pk for pk, _name in services], at=at)
    if len(until) < len(services):
        return False
    details = ", ".join(
        f"{name} under maintenance until {until[pk]:%Y-%m-%d %H:%M %Z}" for pk, name in services
    )
    timeline_event_create(
        incident=incident,
        kind=TimelineEventKind.ESCALATION,
        message=f"Not paged: {details}.",
        data={
            "event": "not_paged_maintenance",
            "services": [
                {"id": pk, "name": name, "until": until[pk].isoformat()} for pk, name in services
            ],
        },
    )
    return True


def escalation_stop(
    *, incident: Incident, actor: AbstractBaseUser | None = None, reason: str
) -> bool:
    """Stop escalating (acknowledged, resolved); pages not yet sent are cancelled, with the
    outbox messages that carried only them (a message already being sent goes out)."""
    escalation = (
        IncidentEscalation.objects.select_for_update()
        .filter(incident=incident, state=EscalationState.ACTIVE)
        .first()
    )
    pages_cancel(incident_id=incident.pk, reason=reason)
    if escalation is None:
        return False
    escalation.state = EscalationState.STOPPED
    escalation.next_escalation_at = None
    escalation.token = new_token()
    escalation.stopped_at = timezone.now()
    escalation.save(update_fields=["state", "next_escalation_at", "token", "stopped_at"])
    timeline_event_create(
        incident=incident,
        kind=TimelineEventKind.ESCALATION,
        actor=actor,
        message=f"Escalation stopped: {reason}.",
        data={"event": "stopped", "reason": reason},
    )
    return True
