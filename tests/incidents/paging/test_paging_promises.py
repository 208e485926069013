"""What paging promises on-call people, each pinned by a scenario that fails if the
promise breaks: acknowledging stops queued pages (at once, and again at the last moment
before a send), high urgency pages at once day or night, low urgency waits for the
person's working hours in their own time zone, and a rule can be kept for high urgency."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.utils import timezone

from incidents.models import Incident, IncidentStatus
from incidents.paging.models import Page, PageStatus
from incidents.services import incident_acknowledge
from oncall.contacts.models import ContactMethod, OnCallPreference
from oncall.policies.models import EscalationRule
from outbox.models import Message, MessageStatus
from tests.oncall.factories import make_policy

# Monday 2 March 2026, 02:00 UTC = 03:00 in Berlin (CET), in the middle of the night.
NIGHT = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)

pytestmark = pytest.mark.usefixtures("severities")


@pytest.fixture
def berlin_alice(alice):
    OnCallPreference.objects.create(user=alice, time_zone="Europe/Berlin")
    return alice


def test_acknowledging_cancels_a_queued_page_and_its_message_at_once(
    clock, committing, team, people, declare, sweep
):
    alice = people["alice"]
    make_policy(team, [(30, [alice])])
    declare(team, severity="SEV3")  # the email throttle (60 s) now holds alice's next page
    second = declare(team, severity="SEV3")
    page = Page.objects.get(incident=second)
    assert page.status == PageStatus.QUEUED and page.message.status == MessageStatus.QUEUED
    with committing():
        incident_acknowledge(incident=second, actor=alice)
    page.refresh_from_db()
    assert page.status == PageStatus.CANCELLED
    assert page.message.status == MessageStatus.CANCELLED
    clock.shift(timedelta(minutes=5))
    sweep()
    assert len(mail.outbox) == 1  # only the first incident's page ever went out


def test_a_page_whose_incident_left_triggered_is_not_sent_even_if_nothing_cancelled_it(
    clock, committing, team, people, declare, sweep
):
    """The last-moment check: whatever changed the incident (another process, a path that
    forgot to cancel), a page is rendered from the incident as it is when it is sent."""
    make_policy(team, [(30, [people["alice"]])])
    declare(team, severity="SEV3")
    second = declare(team, severity="SEV3")
    Incident.objects.filter(pk=second.pk).update(
        status=IncidentStatus.ACKNOWLEDGED, acknowledged_at=timezone.now()
    )
    clock.shift(timedelta(minutes=1))
    sweep()
    page = Page.objects.get(incident=second)
    assert page.status == PageStatus.CANCELLED
    assert page.message.status == MessageStatus.CANCELLED
    assert len(mail.outbox) == 1


def test_a_bundle_loses_only_the_acknowledged_incident(
    clock, committing, team, people, declare, sweep
):
    alice = people["alice"]
    make_policy(team, [(30, [alice])])
    declare(team, severity="SEV3")
    second = declare(team, severity="SEV3")
    third = declare(team, severity="SEV4")
    assert Page.objects.get(incident=second).message == Page.objects.get(incident=third).message
    with committing():
        incident_acknowledge(incident=second, actor=alice)
    clock.shift(timedelta(minutes=1))
    sweep()
    assert len(mail.outbox) == 2
    assert third.reference in mail.outbox[1].subject
    assert second.reference not in mail.outbox[1].body


@pytest.mark.parametrize("clock_start", [NIGHT])
def test_high_urgency_pages_at_once_in_the_middle_of_the_night(
    clock, committing, team, berlin_alice, declare
):
    make_policy(team, [(30, [berlin_alice])])
    incident = declare(team, severity="SEV1")
    assert [m.subject for m in mail.outbox] == [f"[SEV1] {incident.reference}: {incident.title}"]


@pytest.mark.parametrize("clock_start", [NIGHT])
def test_low_urgency_at_3am_in_the_persons_zone_waits_for_their_morning(
    clock, committing, team, berlin_alice, declare, sweep
):
    make_policy(team, [(30, [berlin_alice])], repeat=0)
    incident = declare(team, severity="SEV4")
    page = Page.objects.get(incident=incident)
    # 09:00 in Berlin is 08:00 UTC in March (CET).
    assert page.not_before == datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
    assert page.message.due_at == page.not_before
    clock.move_to(datetime(2026, 3, 2, 7, 59, tzinfo=UTC))
    sweep()
    assert mail.outbox == []
    clock.move_to(datetime(2026, 3, 2, 8, 0, tzinfo=UTC))
    sweep()
    assert [m.to for m in mail.outbox][:1] == [["alice@example.com"]]
    assert incident.reference in mail.outbox[0].subject


@pytest.mark.parametrize("clock_start", [datetime(2026, 3, 6, 20, 0, tzinfo=UTC)])
def test_low_urgency_on_friday_evening_waits_for_monday(
    clock, committing, team, berlin_alice, declare
):
    make_policy(team, [(30, [berlin_alice])])
    incident = declare(team, severity="SEV3")
    page = Page.objects.get(incident=incident)
    assert page.not_before == datetime(2026, 3, 9, 8, 0, tzinfo=UTC)


def test_a_high_urgency_only_rule_is_skipped_for_low_urgency(
    clock, committing, team, people, declare, sweep
):
    alice, bob = people["alice"], people["bob"]
    policy = make_policy(team, [(5, [alice]), (5, [team])])
    EscalationRule.objects.filter(policy=policy, position=1).update(high_urgency_only=True)
    low = declare(team, severity="SEV3")
    high = declare(team, severity="SEV1")
    clock.shift(timedelta(minutes=5))
    sweep()
    assert not Page.objects.filter(incident=low, level=2).exists()
    assert low.timeline.filter(data__event="rule_skipped_low_urgency").exists()
    assert Page.objects.filter(incident=high, level=2, user=bob).exists()


def test_urgency_comes_from_the_severity_and_can_be_changed(
    clock, committing, team, people, declare
):
    from incidents.models import Severity

    assert dict(Severity.objects.values_list("name", "urgency")) == {
        "SEV1": "high",
        "SEV2": "high",
        "SEV3": "low",
        "SEV4": "low",
    }
    Severity.objects.filter(name="SEV3").update(urgency="high")
    make_policy(team, [(5, [people["alice"]])])
    ContactMethod.objects.create(
        user=people["alice"], kind="email", address="alice@example.com", min_interval_seconds=60
    )
    declare(team, severity="SEV3")
    declare(team, severity="SEV3")
    assert len(mail.outbox) == 2  # high urgency: not held back by the throttle
    assert set(Message.objects.values_list("urgency", flat=True)) == {"high"}
