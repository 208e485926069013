"""Beat task of the audit room."""

from celery import shared_task

from oncall.audit.services import audit_prune


@shared_task(name="oncall.audit.prune", acks_late=True, expires=3600)
def prune() -> int:
    return audit_prune()
