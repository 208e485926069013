"""Slack incident channels against a real local HTTP receiver standing in for Slack.
Creating a channel and inviting are calls (their answer is needed); posts into the
channel are outbox messages, sent after the commit."""

from datetime import timedelta
from functools import partial

import pytest
import time_machine
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from incidents import services
from incidents.communication import slack as slack_api
from incidents.communication.models import (
    CommunicationEventKind,
    IncidentChannel,
    IncidentChannelState,
)
from incidents.communication.services.updates import status_update_post
from incidents.models import IncidentStatus, Severity
from outbox.models import Message, MessageStatus
from outbox.services import outbox_send_due
from tests.harness.outbox import crash_after_sending

pytestmark = pytest.mark.django_db


@pytest.fixture
def declare(declare):
    """Each test says when the declaration commits."""
    return partial(declare, title="Checkout is down", commit=False)


def test_sev1_gets_a_channel_with_the_commander_and_the_whole_story(
    slack, team, member, django_capture_on_commit_callbacks, declare
):
    with django_capture_on_commit_callbacks(execute=True):
        incident = declare(team, member, commander=member)

    assert slack.methods() == [
        "conversations.create",
        "users.lookupByEmail",
        "conversations.invite",
        "chat.postMessage",
    ]
    assert {c.token for c in slack.calls} == {"xoxb-test-token"}
    assert slack.of("conversations.create")[0].params["name"] == "inc-1-pay-checkout-is-down"
    assert slack.of("users.lookupByEmail")[0].params["email"] == "marco@example.com"
    invite = slack.of("conversations.invite")[0].params
    assert (invite["channel"], invite["users"]) == ("C0INC1", "Umarco")
    declaration = slack.of("chat.postMessage")[0].params
    assert declaration["channel"] == "C0INC1"
    assert "PAY-1 declared as SEV1: Checkout is down" in declaration["text"]

    channel = IncidentChannel.objects.get(incident=incident)
    assert (channel.state, channel.channel_id, channel.name) == (
        IncidentChannelState.CREATED,
        "C0INC1",
        "inc-1-pay-checkout-is-down",
    )
    assert incident.timeline.filter(kind=CommunicationEventKind.SLACK_CHANNEL).exists()

    with django_capture_on_commit_callbacks(execute=True):
        services.incident_acknowledge(incident=incident, actor=member)
        status_update_post(
            incident=incident, actor=member, message="Rolling back deploy 4512.", audience="public"
        )
        services.incident_resolve(incident=incident, actor=member)
    texts = [c.params["text"] for c in slack.of("chat.postMessage")[1:]]
    assert texts == [
        "PAY-1: status triggered → acknowledged by marco",
        "PAY-1: Public update (acknowledged): Rolling back deploy 4512.",
        "PAY-1: status acknowledged → resolved by marco",
    ]


def test_lower_severities_get_no_channel_until_raised(
    slack, team, member, django_capture_on_commit_callbacks, declare
):
    with django_capture_on_commit_callbacks(execute=True):
        incident = declare(team, member, commander=member, severity="SEV3", title="Slow exports")
        status_update_post(incident=incident, actor=member, message="Looking", audience="internal")
    assert slack.calls == []
    assert not IncidentChannel.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        services.incident_update(
            incident=incident, actor=member, severity=Severity.objects.get(name="SEV2")
        )
    assert slack.methods()[0] == "conversations.create"
    assert IncidentChannel.objects.get().state == IncidentChannelState.CREATED


def test_no_token_means_no_slack(
    settings, team, member, django_capture_on_commit_callbacks, declare
):
    settings.SLACK_BOT_TOKEN = ""
    with django_capture_on_commit_callbacks(execute=True):
        declare(team, member, commander=member)
    assert not IncidentChannel.objects.exists()


def test_failing_slack_is_retried_recorded_and_does_not_stop_the_incident(
    failing_slack, team, member, django_capture_on_commit_callbacks, declare
):
    with django_capture_on_commit_callbacks(execute=True):
        incident = declare(team, member, commander=member)
        # Written while the channel is being created: it waits for the channel.
        status_update_post(incident=incident, actor=member, message="Looking", audience="internal")
    # One attempt and SLACK_MAX_RETRIES (2) retries, then the failure is recorded.
    assert failing_slack.methods() == ["conversations.create"] * 3
    channel = IncidentChannel.objects.get(incident=incident)
    assert channel.state == IncidentChannelState.FAILED
    assert "internal_error" in channel.error
    failure = incident.timeline.get(kind=CommunicationEventKind.SLACK_FAILED)
    assert "channel creation failed" in failure.message
    # No channel will come: the post that waited for one is dropped.
    [waiting] = Message.objects.filter(purpose="communication.slack_post")
    assert waiting.status == MessageStatus.CANCELLED

    # The incident goes on without Slack.
    with django_capture_on_commit_callbacks(execute=True):
        services.incident_acknowledge(incident=incident, actor=member)
        update = status_update_post(
            incident=incident, actor=member, message="Mitigating", audience="public"
        )
        services.incident_resolve(incident=incident, actor=member)
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.RESOLVED
    assert update.pk is not None
    assert failing_slack.methods() == ["conversations.create"] * 3  # no posts to a failed channel


def test_a_failing_post_is_retried_with_back_off_then_recorded_on_the_timeline(
    slack, team, member, django_capture_on_commit_callbacks, declare
):
    with django_capture_on_commit_callbacks(execute=True):
        incident = declare(team, member, commander=member)
    slack.fail = True
    with django_capture_on_commit_callbacks(execute=True):
        status_update_post(
            incident=incident, actor=member, message="Still on it", audience="internal"
        )
    # The first attempt went out on commit; each retry waits for its back-off.
    assert slack.methods()[-1:] == ["chat.postMessage"]
    assert not incident.timeline.filter(kind=CommunicationEventKind.SLACK_FAILED).exists()
    start = timezone.now()
    for attempt in range(2, settings.OUTBOX_MAX_ATTEMPTS + 1):
        with time_machine.travel(start + timedelta(hours=attempt), tick=False):
            outbox_send_due()
    attempts = [c for c in slack.of("chat.postMessage") if "Still on it" in c.params["text"]]
    assert len(attempts) == settings.OUTBOX_MAX_ATTEMPTS
    assert len({c.params["metadata"]["event_payload"]["key"] for c in attempts}) == 1
    failure = incident.timeline.get(kind=CommunicationEventKind.SLACK_FAILED)
    assert "message failed" in failure.message
    assert Message.objects.get(
        key__endswith=":update:" + str(incident.updates.get().pk)
    ).status == (MessageStatus.FAILED)
    assert IncidentChannel.objects.get().state == IncidentChannelState.CREATED


def test_a_post_written_while_the_channel_is_created_reaches_the_channel(
    slack, team, member, django_capture_on_commit_callbacks, declare
):
    with django_capture_on_commit_callbacks(execute=True):
        incident = declare(team, member, commander=member)
        status_update_post(
            incident=incident, actor=member, message="First look", audience="internal"
        )
    # Written before the channel existed; handed out when it was created.
    posts = [(c.params["channel"], c.params["text"]) for c in slack.of("chat.postMessage")]
    assert sorted(text.split("\n")[0] for _, text in posts) == [
        "PAY-1 declared as SEV1: Checkout is down",
        "PAY-1: Internal update (triggered): First look",
    ]
    assert {channel for channel, _ in posts} == {"C0INC1"}
    assert set(Message.objects.values_list("address", "status")) == {("C0INC1", "sent")}


def test_a_post_is_addressed_from_the_channel_right_before_it_is_sent(slack, team, member, declare):
    incident = declare(team, member, commander=member)  # its commit (the channel) not run
    status_update_post(incident=incident, actor=member, message="First look", audience="internal")
    [post] = Message.objects.filter(purpose="communication.slack_post")
    assert (post.address, post.status) == ("", MessageStatus.QUEUED)
    # Still no channel when the post stops waiting for it: a temporary error, retried.
    with time_machine.travel(post.due_at, tick=False):
        outbox_send_due()
    post.refresh_from_db()
    assert (post.status, post.attempts) == (MessageStatus.QUEUED, 1)
    assert "not created yet" in post.last_error
    assert slack.of("chat.postMessage") == []
    # The channel exists by the retry (created by a task whose hand-out missed the post).
    IncidentChannel.objects.filter(incident=incident).update(
        state=IncidentChannelState.CREATED, channel_id="C0INC1"
    )
    with time_machine.travel(post.due_at, tick=False):
        outbox_send_due()
    [sent] = slack.of("chat.postMessage")
    assert (sent.params["channel"], sent.params["text"]) == (
        "C0INC1",
        "PAY-1: Internal update (triggered): First look",
    )
    post.refresh_from_db()
    assert (post.status, post.address) == (MessageStatus.SENT, "C0INC1")


def test_a_post_sent_again_after_a_crash_carries_the_same_key(
    slack, team, member, django_capture_on_commit_callbacks, declare
):
    with django_capture_on_commit_callbacks(execute=True):
        incident = declare(team, member, commander=member)
    update = status_update_post(
        incident=incident, actor=member, message="Still on it", audience="internal"
    )  # written; its commit is not run here
    post = Message.objects.get(key=f"communication.slack_post:{incident.pk}:update:{update.pk}")
    # A sender claims it, posts it, and dies before recording that it did.
    crash_after_sending(post)
    # Its lease runs out: the next sender posts it again, under the same key.
    later = timezone.now() + timedelta(seconds=settings.OUTBOX_LEASE_SECONDS + 1)
    with time_machine.travel(later, tick=False):
        outbox_send_due()
        outbox_send_due()
    posts = [c for c in slack.of("chat.postMessage") if "Still on it" in c.params["text"]]
    assert len(posts) == 2
    assert {c.params["channel"] for c in posts} == {"C0INC1"}
    assert {c.params["metadata"]["event_payload"]["key"] for c in posts} == {post.key}
    post.refresh_from_db()
    assert (post.status, post.attempts) == (MessageStatus.SENT, 2)


def test_slack_is_never_called_inside_a_transaction(slack):
    with pytest.raises(RuntimeError, match="inside a transaction"), transaction.atomic():
        slack_api.create_channel("inc-1-pay-checkout")
    assert slack.calls == []


def test_new_commander_is_invited_and_private_incidents_get_private_channels(
    slack, team, member, manager, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        incident = services.incident_create(
            actor=member,
            team=team,
            title="Token leak",
            severity=Severity.objects.get(name="SEV1"),
            private=True,
        )
    create = slack.of("conversations.create")[0].params
    assert create["is_private"] in ("1", "true", "True", True)
    assert slack.of("conversations.invite") == []  # nobody assigned yet

    with django_capture_on_commit_callbacks(execute=True):
        services.incident_update(incident=incident, actor=member, commander=manager)
    invite = slack.of("conversations.invite")[-1].params
    assert (invite["channel"], invite["users"]) == ("C0INC1", "Upriya")


def test_reminders_are_mirrored_into_the_channel(
    slack, team, member, django_capture_on_commit_callbacks
):
    from datetime import UTC, datetime, timedelta

    import time_machine

    from incidents.communication.tasks import remind_communications
    from tests.incidents.factories import ServiceFactory

    t0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    public = ServiceFactory(team=team, public=True)
    with time_machine.travel(t0, tick=False), django_capture_on_commit_callbacks(execute=True):
        services.incident_create(
            actor=member,
            team=team,
            title="Checkout down",
            severity=Severity.objects.get(name="SEV1"),
            commander=member,
            services=[public],
        )
    with (
        time_machine.travel(t0 + timedelta(minutes=5), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        remind_communications.delay()
    texts = [c.params["text"] for c in slack.of("chat.postMessage")]
    assert texts[-1] == "PAY-1: reminder: no public status update within 5 minutes; post one now."
