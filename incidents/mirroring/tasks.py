"""Celery tasks of the incidents app: thin callers of services, each safe to run twice."""

from celery import shared_task


@shared_task(name="incidents.mirroring.flush", bind=True, max_retries=None, acks_late=True)
def pagerduty_mirror_flush(self, incident_id: int) -> int:
    """Send the incident's pending PagerDuty events; back off and retry on failure (the
    service bounds the attempts and records each failure on the timeline)."""
    from incidents.mirroring.services import mirror_flush

    result = mirror_flush(incident_id=incident_id)
    if result.retry:
        raise self.retry(countdown=result.retry_in)
    return result.sent


@shared_task(name="incidents.mirroring.sweep")
def pagerduty_mirror_sweep() -> int:
    """Beat: re-send deliveries whose task was lost. Safe to run twice: sending takes a
    row lock per delivery and skips what another worker holds."""
    from incidents.mirroring.services import mirror_stalled_incident_ids

    ids = mirror_stalled_incident_ids()
    for incident_id in ids:
        pagerduty_mirror_flush.delay(incident_id)
    return len(ids)
