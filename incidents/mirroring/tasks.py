"""Celery tasks of PagerDuty mirroring: thin callers of its services, each safe to run
twice. Sending belongs to the outbox (``outbox.messages.deliver`` and its sweep)."""

from celery import shared_task

from incidents.mirroring.services import mirror_deliveries_adopt_unsent


@shared_task(name="incidents.mirroring.sweep")
def pagerduty_mirror_sweep() -> int:
    """Beat: hand pending deliveries that no outbox message carries (written before
    mirroring went through the outbox) to the outbox. Safe to run twice: a delivery's
    message key is unique, so it is written once."""
    return mirror_deliveries_adopt_unsent()
