"""Celery tasks of the paging engine: thin callers of services, each safe to run twice.
Pages themselves are sent by the outbox (``outbox.messages.deliver``)."""

from celery import shared_task

from incidents.paging import services as escalation


@shared_task(name="incidents.paging.run_step", acks_late=True)
def escalation_step(escalation_id: int, token: str) -> bool:
    """The ETA task of one step: runs it, with every other step due now, in one batch."""
    return escalation.escalation_step_task_run(escalation_id=escalation_id, token=token)


@shared_task(name="incidents.paging.sweep", acks_late=True, expires=10)
def run_due_escalations() -> dict[str, int]:
    """Beat, every 2 s: any step that is due and not done (a lost task, a dead worker, a
    restarted broker) runs here; queued pages without an outbox message get one."""
    steps = escalation.escalation_run_due()
    adopted = escalation.pages_adopt_unsent()
    return {"steps": steps, "adopted": adopted}
