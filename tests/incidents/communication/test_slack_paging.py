"""The people the paging engine reaches join the incident's Slack channel (a real local
HTTP server stands in for Slack)."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from incidents import services
from incidents.communication.models import IncidentChannel, IncidentChannelState
from incidents.models import Severity
from incidents.paging import tasks
from incidents.paging.models import Page
from tests.oncall.factories import make_policy, member_of

pytestmark = pytest.mark.django_db


T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


@pytest.fixture
def people(team):
    return {name: member_of(team, name) for name in ("alice", "bob")}


def declare(team, commander, severity="SEV1"):
    return services.incident_create(
        actor=commander,
        team=team,
        title="Checkout is down",
        severity=Severity.objects.get(name=severity),
        commander=commander,
    )


def invited(slack):
    return [c.params["users"] for c in slack.of("conversations.invite")]


def test_paged_responders_are_invited_into_the_incident_channel(
    slack, team, member, people, committing
):
    make_policy(team, [(5, [people["alice"]]), (10, [people["bob"]])])
    with time_machine.travel(T0, tick=False) as clock:
        with committing():
            incident = declare(team, member)
        # The first rule paged alice while the channel was being reserved: the channel
        # opens with the commander and alice.
        assert IncidentChannel.objects.get(incident=incident).state == IncidentChannelState.CREATED
        assert invited(slack) == ["Ualice,Umarco"]

        clock.shift(timedelta(minutes=5))
        with committing():
            tasks.run_due_escalations.delay().get()
        assert list(Page.objects.values_list("user__username", flat=True)) == ["alice", "bob"]
        # The second rule paged bob: he is invited on commit.
        assert invited(slack) == ["Ualice,Umarco", "Ubob"]

        # Acknowledged: no more pages, nobody else invited.
        with committing():
            services.incident_acknowledge(incident=incident, actor=people["alice"])
        clock.shift(timedelta(minutes=30))
        with committing():
            tasks.run_due_escalations.delay().get()
        assert invited(slack) == ["Ualice,Umarco", "Ubob"]


def test_pages_without_a_channel_invite_nobody(slack, team, member, people, committing):
    make_policy(team, [(5, [people["alice"]])])
    with time_machine.travel(T0, tick=False), committing():
        declare(team, member, severity="SEV3")  # below the channel threshold
    assert Page.objects.filter(user=people["alice"]).exists()
    assert slack.calls == []
