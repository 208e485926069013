"""Tasks a broker still holds from before e-mail and Slack posts went through the outbox
are not lost at the upgrade: each hands its message to the outbox."""

from functools import partial

import pytest
from django.core import mail

from incidents.communication.tasks import send_email, slack_post
from outbox.models import Message, MessageStatus
from outbox.services import outbox_send_due

pytestmark = pytest.mark.django_db


@pytest.fixture
def declare(declare):
    return partial(declare, title="Checkout is down")


def test_a_queued_send_email_task_goes_out_through_the_outbox():
    send_email.delay("[PAY-1] Stakeholder update due", "Post one.", ["marco@example.com"])
    outbox_send_due()
    assert [(m.subject, m.to) for m in mail.outbox] == [
        ("[PAY-1] Stakeholder update due", ["marco@example.com"])
    ]
    [message] = Message.objects.all()
    assert (message.purpose, message.status) == ("communication.email", MessageStatus.SENT)


def test_a_queued_post_to_slack_task_goes_out_through_the_outbox(slack, team, member, declare):
    incident = declare(team, member, commander=member)
    slack_post.delay(incident.pk, "PAY-1: status triggered → acknowledged by marco")
    outbox_send_due()
    texts = [c.params["text"] for c in slack.of("chat.postMessage")]
    assert texts[-1] == "PAY-1: status triggered → acknowledged by marco"
    assert slack.of("chat.postMessage")[-1].params["channel"] == "C0INC1"
