"""Celery tasks of the incidents app: thin callers of services, each safe to run twice."""

from celery import shared_task

from incidents.paging import services as escalation


@shared_task(name="incidents.paging.run_step", acks_late=True)
def escalation_step(escalation_id: int, token: str) -> bool:
    return escalation.escalation_execute_step(escalation_id=escalation_id, token=token)


@shared_task(name="incidents.paging.deliver_pages", acks_late=True)
def deliver_pages(contact_method_id: int) -> int:
    return escalation.pages_deliver(contact_method_id=contact_method_id)


@shared_task(name="incidents.paging.sweep", acks_late=True, expires=60)
def run_due_escalations() -> dict[str, int]:
    """Beat, every 15 s: any step or delivery that is due and not done (a lost task, a dead
    worker, a restarted broker) runs here."""
    steps = escalation.escalation_run_due()
    sent = escalation.pages_deliver_due()
    return {"steps": steps, "sent": sent}
