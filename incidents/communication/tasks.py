"""Celery tasks of incident communication. Thin: they take ids and call one service.
E-mail and Slack posts are not tasks here: they are outbox messages
(``incidents.communication.services.emails``, ``…channels.incident_channel_mirror``);
creating the Slack channel and inviting people need Slack's answer, so they are tasks,
run after the commit with no transaction open.

Services are imported inside the tasks because the communication services import the
``*_later`` helpers from here (a task module that imports its services at the top would
be a cycle)."""

import logging
import uuid

from celery import shared_task
from django.conf import settings
from django.db import transaction

log = logging.getLogger(__name__)


def email_later(
    *, subject: str, body: str, recipients: list[str], key: str | None = None, group: str = ""
) -> None:
    """Send an e-mail through the outbox after the current transaction commits (never if
    it rolls back): one message per address. ``key`` names the e-mail so that writing it
    twice sends it once; without one it is sent once per call."""
    from incidents.communication.services.emails import EMAIL, email_enqueue

    email_enqueue(
        key=key or f"{EMAIL}:{uuid.uuid4().hex}",
        purpose=EMAIL,
        addresses=recipients,
        subject=subject,
        text=body,
        group=group,
    )


# Tasks a broker may still hold from before e-mail and Slack posts went through the outbox
# (with their retry ETAs) at the upgrade: each hands its message to the outbox, so none is
# lost. Remove them a release later.
@shared_task(name="incidents.communication.send_email")
def send_email(subject: str, body: str, recipients: list[str]) -> None:
    email_later(subject=subject, body=body, recipients=recipients)


@shared_task(name="incidents.communication.post_to_slack")
def slack_post(incident_id: int, text: str) -> None:
    from incidents.communication.services.channels import incident_channel_mirror
    from incidents.models import Incident

    incident = Incident.objects.select_related("team").filter(pk=incident_id).first()
    if incident is not None:
        incident_channel_mirror(
            incident=incident, text=text.removeprefix(f"{incident.reference}: ")
        )


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
