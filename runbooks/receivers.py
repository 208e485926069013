"""What an incident's changes and alerts cause to its runbooks. Thin: each calls one service.

Connected, in their order, by ``config.consequences``."""

from incidents.alerts.models import IntegrationKind
from incidents.models import IncidentStatus
from runbooks import services


def on_incident_declared(sender, incident, actor, **kwargs) -> None:
    # An incident an alert declares is matched once, by on_alert_received, with the
    # alert's name and labels too (matching costs about a quarter of declaring one).
    if incident.source in IntegrationKind.values:
        return
    services.runbook_attach_matching(incident=incident)


def on_incident_updated(sender, incident, actor, changes, **kwargs) -> None:
    if "services" in changes or "title" in changes:
        services.runbook_attach_matching(incident=incident)


def on_incident_status_changed(sender, incident, actor, new_status, **kwargs) -> None:
    if new_status == IncidentStatus.RESOLVED:
        services.runbook_accuracy_prompt(incident=incident)


def on_alert_received(sender, incident, alert_name, labels, **kwargs) -> None:
    # Both when the alert declared the incident and when it joined an open one (a storm):
    # attaching is idempotent and a better match only raises the score.
    services.runbook_attach_matching(incident=incident, alert_name=alert_name, labels=labels)
