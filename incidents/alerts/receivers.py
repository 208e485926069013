"""What an incident's changes cause to its alerts. Thin: each calls one service.

Connected, in their order, by ``config.consequences``."""

from typing import Any

from incidents.alerts.services import alerts_close_for_incident
from incidents.models import IncidentStatus


def on_incident_status_changed(
    sender: Any, *, incident: Any, new_status: str, **kwargs: Any
) -> None:
    """A resolved incident resolves its open alerts (a later trigger opens a new one)."""
    if new_status == IncidentStatus.RESOLVED:
        alerts_close_for_incident(incident=incident)
