"""Receivers of ``incidents.signals`` inside the incidents app: the paging engine, alert
ingestion and PagerDuty mirroring. Thin: each calls services; outside effects go on_commit."""

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


@receiver(signals.incident_declared, dispatch_uid="incidents.mirror_on_declared")
def _mirror_on_declared(sender, incident, actor, **kwargs) -> None:
    from incidents.mirroring import mirror_on_declared

    mirror_on_declared(incident=incident)


@receiver(signals.incident_status_changed, dispatch_uid="incidents.on_status_changed")
def _on_status_changed(sender, incident, actor, old_status, new_status, reopened, **kwargs):
    from incidents.alerts import alerts_close_for_incident
    from incidents.mirroring import mirror_on_status_changed
    from incidents.models import IncidentStatus

    if new_status == IncidentStatus.RESOLVED:
        alerts_close_for_incident(incident=incident)
    mirror_on_status_changed(
        incident=incident, old_status=old_status, new_status=new_status, reopened=reopened
    )
