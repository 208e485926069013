"""Personal notification rules in the engine, as PagerDuty users know them: "high urgency:
SMS and email at once, a voice call after 2 minutes". The SMS and the call go through a
local stand-in for Twilio's REST API."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from incidents.paging.models import Page, PageStatus
from incidents.services import incident_acknowledge
from oncall.contacts.models import ContactMethod, NotificationRule
from tests.oncall.factories import make_policy

pytestmark = pytest.mark.usefixtures("severities")


@pytest.fixture
def alice_rules(alice):
    now = timezone.now()
    email = ContactMethod.objects.create(user=alice, kind="email", address="alice@example.com")
    sms = ContactMethod.objects.create(
        user=alice, kind="sms", address="+14155550100", verified_at=now
    )
    voice = ContactMethod.objects.create(
        user=alice, kind="voice", address="+14155550100", verified_at=now
    )
    for position, (delay, method) in enumerate([(0, sms), (0, email), (2, voice)]):
        NotificationRule.objects.create(
            user=alice,
            urgency="high",
            delay_minutes=delay,
            contact_method=method,
            position=position,
        )
    # Low urgency: email only.
    NotificationRule.objects.create(
        user=alice, urgency="low", delay_minutes=0, contact_method=email, position=0
    )
    return alice


def test_sms_and_email_at_once_then_a_call_after_two_minutes(
    clock, committing, team, alice_rules, declare, sweep, twilio
):
    make_policy(team, [(30, [alice_rules])])
    incident = declare(team, severity="SEV1")
    assert [m["To"] for m in twilio.messages] == ["+14155550100"]
    assert incident.reference in twilio.messages[0]["Body"]
    assert len(mail.outbox) == 1 and twilio.calls == []
    clock.shift(timedelta(minutes=2))
    sweep()
    assert [c["To"] for c in twilio.calls] == ["+14155550100"]
    assert set(Page.objects.values_list("channel", "status")) == {
        ("sms", PageStatus.SENT),
        ("email", PageStatus.SENT),
        ("voice", PageStatus.SENT),
    }


def test_acknowledging_within_two_minutes_cancels_the_call(
    clock, committing, team, alice_rules, declare, sweep, twilio
):
    make_policy(team, [(30, [alice_rules])])
    incident = declare(team, severity="SEV1")
    clock.shift(timedelta(minutes=1))
    with committing():
        incident_acknowledge(incident=incident, actor=alice_rules)
    clock.shift(timedelta(minutes=2))
    sweep()
    assert twilio.calls == []
    assert Page.objects.get(channel="voice").status == PageStatus.CANCELLED


def test_low_urgency_follows_the_low_urgency_rules(
    clock, committing, team, alice_rules, declare, sweep, twilio
):
    make_policy(team, [(30, [alice_rules])])
    declare(team, severity="SEV4")
    clock.shift(timedelta(minutes=5))
    sweep()
    assert twilio.messages == [] and twilio.calls == []
    assert list(Page.objects.values_list("channel", flat=True)) == ["email"]
    assert len(mail.outbox) == 1


def test_an_unverified_phone_number_is_never_paged(clock, committing, team, alice, declare, twilio):
    ContactMethod.objects.create(user=alice, kind="sms", address="+14155550199")
    ContactMethod.objects.create(user=alice, kind="email", address="alice@example.com")
    make_policy(team, [(30, [alice])])
    declare(team, severity="SEV1")
    assert twilio.messages == []
    assert list(Page.objects.values_list("channel", flat=True)) == ["email"]
