"""Beat tasks of drills: each takes no arguments and calls one service; both are safe to
run twice and at once (see readiness.drills.services)."""

from celery import shared_task

from readiness.drills import services


@shared_task(name="readiness.drills.start_due")
def start_due() -> int:
    return services.drills_start_due()


@shared_task(name="readiness.drills.complete_finished")
def complete_finished() -> int:
    return services.drills_complete_finished()
