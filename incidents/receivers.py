"""Receivers of ``incidents.signals`` for the paging engine; thin, they call services."""

from django.dispatch import receiver

from incidents import escalation, signals
from incidents.models import IncidentStatus


@receiver(signals.incident_declared, dispatch_uid="escalation_on_declared")
def start_escalation(sender, incident, actor=None, **kwargs):
    escalation.escalation_start(incident=incident, actor=actor)


@receiver(signals.incident_status_changed, dispatch_uid="escalation_on_status_changed")
def follow_status(sender, incident, actor=None, old_status=None, new_status=None, **kwargs):
    if kwargs.get("reopened"):
        escalation.escalation_start(incident=incident, actor=actor)
    elif old_status == IncidentStatus.TRIGGERED and new_status != IncidentStatus.TRIGGERED:
        reason = "resolved" if new_status == IncidentStatus.RESOLVED else "acknowledged"
        escalation.escalation_stop(incident=incident, actor=actor, reason=reason)
