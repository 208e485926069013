"""The paging engine's services: escalation of an incident through its policy and the
delivery of its pages. All engine state lives in ``IncidentEscalation`` and ``Page`` rows,
so a lost task, a dead worker or a restarted broker loses nothing: the beat sweep finds
every step and page that is due. Submodules: ``snapshot`` (the policy), ``engine`` (start,
stop), ``steps`` (running steps), ``targets`` (who a rule pages), ``delivery`` (pages
through the outbox), ``enqueue`` (handing work to Celery)."""

from incidents.paging.services.delivery import (
    ack_token,
    ack_token_read,
    contact_methods_for_paging,
    page_due_at,
    pages_adopt_unsent,
    pages_cancel,
)
from incidents.paging.services.engine import escalation_start, escalation_stop
from incidents.paging.services.snapshot import escalation_policy_for, policy_snapshot
from incidents.paging.services.steps import (
    escalation_execute_step,
    escalation_run_due,
    escalation_step_task_run,
)

__all__ = [
    "ack_token",
    "ack_token_read",
    "contact_methods_for_paging",
    "escalation_execute_step",
    "escalation_policy_for",
    "escalation_run_due",
    "escalation_start",
    "escalation_step_task_run",
    "escalation_stop",
    "page_due_at",
    "pages_adopt_unsent",
    "pages_cancel",
    "policy_snapshot",
]
