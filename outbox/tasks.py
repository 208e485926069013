"""Celery tasks of the outbox: thin callers of its services."""

from celery import shared_task

from outbox import services


@shared_task(name="outbox.messages.deliver", acks_late=True)
def deliver(message_id: int) -> str:
    return services.message_deliver(message_id=message_id)


@shared_task(name="outbox.messages.sweep", acks_late=True, expires=10)
def sweep() -> int:
    """Beat, every 2 s: hand out messages whose task was lost or whose sender died."""
    return services.outbox_sweep()
