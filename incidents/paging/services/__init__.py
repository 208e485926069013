"""The public services of this room; each submodule holds one concern."""

from incidents.paging.services.delivery import (
    ack_token,
    ack_token_read,
    contact_methods_for_paging,
    pages_deliver,
    pages_deliver_due,
)
from incidents.paging.services.engine import escalation_start, escalation_stop
from incidents.paging.services.snapshot import escalation_policy_for, policy_snapshot
from incidents.paging.services.steps import escalation_execute_step, escalation_run_due

__all__ = [
    "ack_token",
    "ack_token_read",
    "contact_methods_for_paging",
    "escalation_execute_step",
    "escalation_policy_for",
    "escalation_run_due",
    "escalation_start",
    "escalation_stop",
    "pages_deliver",
    "pages_deliver_due",
    "policy_snapshot",
]
