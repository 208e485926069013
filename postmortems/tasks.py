"""Beat tasks: thin, each calls one service, safe to run twice and concurrently."""

from celery import shared_task

from postmortems import services


@shared_task(name="postmortems.sla.enforce", time_limit=300)
def enforce_postmortem_sla() -> dict[str, int]:
    return services.postmortem_enforce_sla()


@shared_task(name="postmortems.action_items.remind_overdue", time_limit=300)
def remind_overdue_action_items() -> dict[str, int]:
    return services.action_item_remind_overdue()
