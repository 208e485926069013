"""The people the paging engine reaches join the incident's Slack channel (a real local
HTTP server stands in for Slack)."""

from datetime import timedelta
from functools import partial

import pytest
import time_machine

from incidents import services
from incidents.communication.models import IncidentChannel, IncidentChannelState
from incidents.paging.models import Page
from tests.harness.clock import T0
from tests.oncall.factories import make_policy

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(alice, bob):
    return {"alice": alice, "bob": bob}


@pytest.fixture
def declare(declare):
    """Each test says when the declaration commits."""
    return partial(declare, title="Checkout is down", commit=False)


def invited(slack):
    return [c.params["users"] for c in slack.of("conversations.invite")]


def test_paged_responders_are_invited_into_the_incident_channel(
    slack, team, member, people, committing, declare, sweep
):
    make_policy(team, [(5, [people["alice"]]), (10, [people["bob"]])])
    with time_machine.travel(T0, tick=False) as clock:
        with committing():
            incident = declare(team, member, commander=member)
        # The first rule paged alice while the channel was being reserved: the channel
        # opens with the commander and alice.
        assert IncidentChannel.objects.get(incident=incident).state == IncidentChannelState.CREATED
        assert invited(slack) == ["Ualice,Umarco"]

        clock.shift(timedelta(minutes=5))
        sweep()
        assert list(Page.objects.values_list("user__username", flat=True)) == ["alice", "bob"]
        # The second rule paged bob: he is invited on commit.
        assert invited(slack) == ["Ualice,Umarco", "Ubob"]

        # Acknowledged: no more pages, nobody else invited.
        with committing():
            services.incident_acknowledge(incident=incident, actor=people["alice"])
        clock.shift(timedelta(minutes=30))
        sweep()
        assert invited(slack) == ["Ualice,Umarco", "Ubob"]


def test_pages_without_a_channel_invite_nobody(slack, team, member, people, committing, declare):
    make_policy(team, [(5, [people["alice"]])])
    with time_machine.travel(T0, tick=False), committing():
        declare(team, member, commander=member, severity="SEV3")  # below the channel threshold
    assert Page.objects.filter(user=people["alice"]).exists()
    assert slack.calls == []
