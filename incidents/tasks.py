"""Celery tasks of the incidents app: thin callers of services, each safe to run twice."""

from datetime import timedelta

from celery import shared_task
from django.conf import settings

from incidents import escalation


@shared_task(name="incidents.escalation_step", acks_late=True)
def escalation_step(escalation_id: int, token: str) -> bool:
    return escalation.escalation_execute_step(escalation_id=escalation_id, token=token)


@shared_task(name="incidents.deliver_pages", acks_late=True)
def deliver_pages(contact_method_id: int) -> int:
    return escalation.pages_deliver(contact_method_id=contact_method_id)


@shared_task(name="incidents.run_due_escalations", acks_late=True, expires=60)
def run_due_escalations() -> dict[str, int]:
    """Beat, every 15 s: any step or delivery that is due and not done (a lost task, a dead
    worker, a restarted broker) runs here."""
    steps = escalation.escalation_run_due()
    sent = escalation.pages_deliver_due()
    return {"steps": steps, "sent": sent}


@shared_task(bind=True, max_retries=None, acks_late=True)
def pagerduty_mirror_flush(self, incident_id: int) -> int:
    """Send the incident's pending PagerDuty events; back off and retry on failure (the
    service bounds the attempts and records each failure on the timeline)."""
    from incidents.mirroring import mirror_flush

    result = mirror_flush(incident_id=incident_id)
    if result.retry:
        raise self.retry(countdown=result.retry_in)
    return result.sent


@shared_task
def pagerduty_mirror_sweep() -> int:
    """Beat: re-send deliveries whose task was lost. Safe to run twice: sending takes a
    row lock per delivery and skips what another worker holds."""
    from incidents.mirroring import mirror_stalled_incident_ids

    ids = mirror_stalled_incident_ids()
    for incident_id in ids:
        pagerduty_mirror_flush.delay(incident_id)
    return len(ids)


@shared_task(name="incidents.alert_inbox_drain", acks_late=True)
def alert_inbox_drain() -> int:
    """Apply the events the Events API stored (sent on commit of the request)."""
    from incidents.alerts import alert_inbox_process

    return alert_inbox_process()


@shared_task(name="incidents.alert_inbox_sweep", acks_late=True, expires=60)
def alert_inbox_sweep() -> int:
    """Beat: apply stored events whose task was lost. Safe to run twice and concurrently."""
    from incidents.alerts import alert_inbox_sweep as sweep

    return sweep()


@shared_task
def alert_housekeeping() -> int:
    """Beat: drop old rate-limit windows and raw events past their retention."""
    from incidents.alerts import alert_events_prune, ingest_rate_windows_prune

    return ingest_rate_windows_prune() + alert_events_prune(
        older_than=timedelta(days=settings.ALERT_EVENT_RETENTION_DAYS)
    )
