"""Runbook tasks: thin, they call services."""

from celery import shared_task

from runbooks import services


@shared_task(name="runbooks.reviews.flag_stale")
def flag_stale_runbooks() -> int:
    """Daily: flag runbooks past their review date and e-mail their team's managers,
    once per review period."""
    return sum(
        services.runbook_flag_stale(runbook_id=pk) for pk in services.runbooks_due_for_flag()
    )
