"""Celery tasks of incident communication. Thin: they take ids and call one service.

Services are imported inside the tasks because the communication services import the
``*_later`` helpers from here (a task module that imports its services at the top would
be a cycle)."""

import logging

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction

log = logging.getLogger(__name__)


@shared_task(
    name="incidents.communication.send_email",
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=5,
)
def send_email(subject: str, body: str, recipients: list[str]) -> int:
    return send_mail(subject, body, None, recipients, fail_silently=False)


def email_later(*, subject: str, body: str, recipients: list[str]) -> None:
    """Send an e-mail after the current transaction commits (never if it rolls back)."""
    if recipients:
        transaction.on_commit(lambda: send_email.delay(subject, body, list(recipients)))


@shared_task(name="incidents.communication.remind")
def remind_communications() -> dict[str, int]:
    from incidents.communication.services.reminders import communications_remind

    result = communications_remind()
    return {
        "deadline_missed": result.deadline_missed,
        "cadence_reminders": result.cadence_reminders,
        "escalation_notices": result.escalation_notices,
    }


def _backoff(retries: int) -> int:
    return min(300, 5 * 2**retries)


@shared_task(bind=True, name="incidents.communication.open_slack_channel", max_retries=None)
def slack_channel_open(self, incident_id: int) -> None:
    from incidents.communication.services.channels import (
        incident_channel_failed,
        incident_channel_open,
    )
    from incidents.communication.slack import SlackError

    try:
        incident_channel_open(incident_id=incident_id)
    except SlackError as exc:
        if self.request.retries >= settings.SLACK_MAX_RETRIES:
            log.warning("Slack channel for incident %s failed: %s", incident_id, exc)
            incident_channel_failed(incident_id=incident_id, action="open", error=str(exc))
            return
        raise self.retry(exc=exc, countdown=_backoff(self.request.retries)) from exc


@shared_task(bind=True, name="incidents.communication.post_to_slack", max_retries=None)
def slack_post(self, incident_id: int, text: str) -> None:
    from incidents.communication.services.channels import (
        incident_channel_failed,
        incident_channel_post,
    )
    from incidents.communication.slack import SlackError

    try:
        incident_channel_post(incident_id=incident_id, text=text)
    except SlackError as exc:
        if self.request.retries >= settings.SLACK_MAX_RETRIES:
            log.warning("Slack message for incident %s failed: %s", incident_id, exc)
            incident_channel_failed(incident_id=incident_id, action="post", error=str(exc))
            return
        raise self.retry(exc=exc, countdown=_backoff(self.request.retries)) from exc


@shared_task(bind=True, name="incidents.communication.invite_to_slack", max_retries=None)
def slack_invite(self, incident_id: int, user_ids: list[int]) -> None:
    from incidents.communication.services.channels import (
        incident_channel_failed,
        incident_channel_invite,
    )
    from incidents.communication.slack import SlackError

    try:
        incident_channel_invite(incident_id=incident_id, user_ids=user_ids)
    except SlackError as exc:
        if self.request.retries >= settings.SLACK_MAX_RETRIES:
            incident_channel_failed(incident_id=incident_id, action="invite", error=str(exc))
            return
        raise self.retry(exc=exc, countdown=_backoff(self.request.retries)) from exc


def slack_invite_later(*, incident_id: int, user_ids: list[int]) -> None:
    transaction.on_commit(lambda: slack_invite.delay(incident_id, list(user_ids)))


def slack_open_later(*, incident_id: int) -> None:
    transaction.on_commit(lambda: slack_channel_open.delay(incident_id))


def slack_post_later(*, incident_id: int, text: str) -> None:
    transaction.on_commit(lambda: slack_post.delay(incident_id, text))
