"""What an incident's changes cause to its postmortem. Thin: each calls one service.

Connected, in their order, by ``config.consequences``."""

from typing import Any

from incidents.models import IncidentStatus
from postmortems.services.drafts import postmortem_on_incident_resolved


def on_incident_status_changed(
    sender: Any, *, incident: Any, actor: Any, new_status: str, **kwargs: Any
) -> None:
    # Sent inside the transaction that resolves the incident: the draft is created in it,
    # so a resolved incident that requires a postmortem never lacks one.
    if new_status != IncidentStatus.RESOLVED:
        return
    postmortem_on_incident_resolved(incident=incident, actor=actor)


def on_incident_updated(
    sender: Any, *, incident: Any, actor: Any, changes: dict, **kwargs: Any
) -> None:
    # A resolved incident raised to a severity that requires a postmortem gets its draft
    # too (the same service as on resolution; it does nothing for open incidents).
    if "severity" not in changes or incident.status != IncidentStatus.RESOLVED:
        return
    postmortem_on_incident_resolved(incident=incident, actor=actor)
