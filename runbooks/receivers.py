"""Receivers of incidents.signals: thin, each calls one runbooks service."""

from django.dispatch import receiver

from incidents.models import IncidentStatus
from incidents.signals import (
    alert_received,
    incident_declared,
    incident_status_changed,
    incident_updated,
)
from runbooks import services


@receiver(incident_declared, dispatch_uid="runbooks_incident_declared")
def on_incident_declared(sender, incident, actor, **kwargs) -> None:
    services.runbook_attach_matching(incident=incident)


@receiver(incident_updated, dispatch_uid="runbooks_incident_updated")
def on_incident_updated(sender, incident, actor, changes, **kwargs) -> None:
    if "services" in changes or "title" in changes:
        services.runbook_attach_matching(incident=incident)


@receiver(incident_status_changed, dispatch_uid="runbooks_incident_status_changed")
def on_incident_status_changed(sender, incident, actor, new_status, **kwargs) -> None:
    if new_status == IncidentStatus.RESOLVED:
        services.runbook_accuracy_prompt(incident=incident)


@receiver(alert_received, dispatch_uid="runbooks_alert_received")
def on_alert_received(sender, incident, alert_name, labels, **kwargs) -> None:
    # Both when the alert declared the incident and when it joined an open one (a storm):
    # attaching is idempotent and a better match only raises the score.
    services.runbook_attach_matching(incident=incident, alert_name=alert_name, labels=labels)
