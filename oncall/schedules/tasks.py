"""Celery tasks for on-call: thin callers of services, safe to run twice."""

from celery import shared_task

from oncall.schedules import handoffs


@shared_task(name="oncall.schedules.record_handoffs", acks_late=True, expires=120)
def record_handoffs() -> int:
    return handoffs.handoffs_record()
