"""Celery tasks of the incidents app: thin callers of services."""

from datetime import timedelta

from celery import shared_task
from django.conf import settings


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


@shared_task
def alert_housekeeping() -> int:
    """Beat: drop old rate-limit windows and raw events past their retention."""
    from incidents.alerts import alert_events_prune, ingest_rate_windows_prune

    return ingest_rate_windows_prune() + alert_events_prune(
        older_than=timedelta(days=settings.ALERT_EVENT_RETENTION_DAYS)
    )
