"""What an incident's changes cause in the paging engine. Thin: each calls one service.

Connected, in their order, by ``config.consequences``."""

from typing import Any

from incidents.models import IncidentStatus
from incidents.paging import services


def on_incident_declared(sender: Any, *, incident: Any, actor: Any = None, **kwargs: Any) -> None:
    """Page the first rule's targets at once and schedule the next step."""
    services.escalation_start(incident=incident, actor=actor)


def on_incident_status_changed(
    sender: Any,
    *,
    incident: Any,
    actor: Any = None,
    old_status: str | None = None,
    new_status: str | None = None,
    reopened: bool = False,
    **kwargs: Any,
) -> None:
    """Reopening pages again from the first rule; leaving ``triggered`` (acknowledged or
    resolved) stops paging and cancels the pages not yet sent."""
    if reopened:
        services.escalation_start(incident=incident, actor=actor)
    elif old_status == IncidentStatus.TRIGGERED and new_status != IncidentStatus.TRIGGERED:
        reason = "resolved" if new_status == IncidentStatus.RESOLVED else "acknowledged"
        services.escalation_stop(incident=incident, actor=actor, reason=reason)
