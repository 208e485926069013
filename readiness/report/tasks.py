"""Beat task: thin, calls one service, safe to run twice and concurrently."""

from celery import shared_task

from readiness.report import services


@shared_task(name="readiness.report.email_weekly", time_limit=600)
def email_weekly() -> dict[str, int]:
    return services.readiness_email_weekly()
