"""Celery tasks of the incidents app: thin callers of services, each safe to run twice."""

from datetime import timedelta

from celery import shared_task
from django.conf import settings


@shared_task(name="incidents.alerts.drain_inbox", acks_late=True)
def alert_inbox_drain(limit: int | None = None) -> int:
    """Apply the events the Events API stored (sent on commit of the request): every
    waiting event, not only this task's, in batches of up to ``limit`` events (default
    ``ALERT_INBOX_BATCH_EVENTS``) per transaction."""
    from incidents.alerts.services.inbox import alert_inbox_process

    return alert_inbox_process(limit=limit)


@shared_task(name="incidents.alerts.sweep_inbox", acks_late=True, expires=60)
def alert_inbox_sweep() -> int:
    """Beat: apply stored events whose task was lost. Safe to run twice and concurrently."""
    from incidents.alerts.services.inbox import alert_inbox_sweep as sweep

    return sweep()


@shared_task(name="incidents.alerts.prune")
def alert_housekeeping() -> int:
    """Beat: drop old rate-limit windows and raw events past their retention."""
    from incidents.alerts.services.ratelimit import alert_events_prune, ingest_rate_windows_prune

    return ingest_rate_windows_prune() + alert_events_prune(
        older_than=timedelta(days=settings.ALERT_EVENT_RETENTION_DAYS)
    )


@shared_task(name="incidents.alerts.check_heartbeats", acks_late=True, expires=60)
def heartbeats_check() -> int:
    """Beat: heartbeat monitors past their interval open their incident. Safe to run twice
    and concurrently (due rows taken with SKIP LOCKED, re-checked under the lock)."""
    from incidents.alerts.services.heartbeats import heartbeats_check as check

    return check()
