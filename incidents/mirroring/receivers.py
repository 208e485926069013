"""What an incident's changes cause in PagerDuty mirroring. Thin: each calls one service.

Connected, in their order, by ``config.consequences``."""

from typing import Any

from incidents.mirroring.services import mirror_on_declared, mirror_on_status_changed


def on_incident_declared(sender: Any, *, incident: Any, **kwargs: Any) -> None:
    mirror_on_declared(incident=incident)


def on_incident_status_changed(
    sender: Any, *, incident: Any, old_status: str, new_status: str, reopened: bool, **kwargs: Any
) -> None:
    mirror_on_status_changed(
        incident=incident, old_status=old_status, new_status=new_status, reopened=reopened
    )
