"""Slack incident channels against a real local HTTP receiver standing in for Slack."""

from functools import partial

import pytest

from incidents import services
from incidents.communication.models import (
    CommunicationEventKind,
    IncidentChannel,
    IncidentChannelState,
)
from incidents.communication.services.updates import status_update_post
from incidents.models import IncidentStatus, Severity

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
    # One attempt and SLACK_MAX_RETRIES (2) retries, then the failure is recorded.
    assert failing_slack.methods() == ["conversations.create"] * 3
    channel = IncidentChannel.objects.get(incident=incident)
    assert channel.state == IncidentChannelState.FAILED
    assert "internal_error" in channel.error
    failure = incident.timeline.get(kind=CommunicationEventKind.SLACK_FAILED)
    assert "channel creation failed" in failure.message

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


def test_a_failing_post_is_recorded_on_the_timeline(
    slack, eager_retries, team, member, django_capture_on_commit_callbacks, declare
):
    with django_capture_on_commit_callbacks(execute=True):
        incident = declare(team, member, commander=member)
    slack.fail = True
    with django_capture_on_commit_callbacks(execute=True):
        status_update_post(
            incident=incident, actor=member, message="Still on it", audience="internal"
        )
    assert slack.methods()[-3:] == ["chat.postMessage"] * 3
    failure = incident.timeline.get(kind=CommunicationEventKind.SLACK_FAILED)
    assert "message failed" in failure.message
    assert IncidentChannel.objects.get().state == IncidentChannelState.CREATED


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
