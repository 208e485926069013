"""A person sends a test notification to one of their contact methods: it goes through
the outbox and is rendered as a page is, and it reaches a real receiver on 127.0.0.1."""

import hashlib
import hmac
import json
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from oncall.contacts import outbox as contacts_outbox
from oncall.contacts.models import ContactMethod
from outbox.models import Message, MessageStatus
from outbox.services import outbox_send_due
from tests.harness.receivers import HttpReceiver

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock", "contact_purposes")]

URL = "/api/v1/users/me/contact-methods/"
PHONE = "+14155550100"


@pytest.fixture
def contact_purposes():
    contacts_outbox.register()


def method_of(user, kind, address, *, verified=True, **fields):
    method = ContactMethod.objects.create(user=user, kind=kind, address=address, **fields)
    if verified and kind in ("sms", "voice"):
        method.verified_at = timezone.now()
        method.save(update_fields=["verified_at"])
    return method


def send_test(client, method):
    return client.post(f"{URL}{method.pk}/test/", format="json")


def test_a_test_sms_reaches_the_phone(api, alice, twilio):
    method = method_of(alice, "sms", PHONE)
    response = send_test(api.as_user(alice), method)
    assert response.status_code == 202, response.json()
    message = Message.objects.get(pk=response.json()["message_id"])
    assert (message.purpose, message.transport, message.address) == ("contact.test", "sms", PHONE)

    outbox_send_due()

    [sms] = twilio.messages
    assert sms["To"] == PHONE
    assert sms["Body"].startswith("[TEST] Tocsin: This is a test notification.")
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT and message.provider_id.startswith("SM")


def test_a_test_call_says_it_is_a_test(api, alice, twilio):
    method = method_of(alice, "voice", PHONE)
    send_test(api.as_user(alice), method)
    outbox_send_due()

    [call] = twilio.calls
    assert call["To"] == PHONE
    assert "This is a test notification" in call["Twiml"]
    assert "Press nothing; acknowledge in the app or by the link sent." in call["Twiml"]


def test_a_test_webhook_is_signed_but_its_secret_never_sits_in_the_outbox(api, alice):
    with HttpReceiver(default=(200, {})) as receiver:
        method = method_of(alice, "webhook", receiver.url + "/hook", secret="s3cret-key")
        response = send_test(api.as_user(alice), method)
        message = Message.objects.get(pk=response.json()["message_id"])
        assert message.payload == {"contact_method_id": method.pk}
        row = json.dumps(Message.objects.filter(pk=message.pk).values().get(), default=str)
        assert "s3cret-key" not in row

        outbox_send_due()

    [request] = receiver.requests
    body = request.json()
    assert body["type"] == "test" and body["id"] == message.key
    assert body["incidents"][0]["reference"] == "Tocsin"
    expected = hmac.new(b"s3cret-key", request.body, hashlib.sha256).hexdigest()
    assert request.headers["x-tocsin-signature"] == f"sha256={expected}"


def test_a_test_email_arrives(api, alice):
    method = method_of(alice, "email", "alice@example.com")
    send_test(api.as_user(alice), method)
    outbox_send_due()

    [email] = mail.outbox
    assert email.to == ["alice@example.com"]
    assert email.subject.startswith("[TEST] Tocsin: This is a test notification")


def test_a_test_to_pagerduty_is_an_event(api, alice, settings, pagerduty_receiver):
    with pagerduty_receiver() as pd:
        settings.PAGERDUTY_EVENTS_URL = pd.url
        method = method_of(alice, "pagerduty", "R0UT1NGKEY")
        send_test(api.as_user(alice), method)
        outbox_send_due()
    [event] = pd.accepted
    assert event["routing_key"] == "R0UT1NGKEY"
    assert "This is a test notification" in event["payload"]["summary"]


def test_an_unverified_number_cannot_be_sent_a_test(api, alice, twilio):
    method = method_of(alice, "sms", PHONE, verified=False)
    response = send_test(api.as_user(alice), method)
    assert response.status_code == 409 and "Verify" in response.json()["detail"]
    assert not Message.objects.exists()


def test_only_the_owner_can_send_a_test(api, alice, outsider):
    method = method_of(alice, "email", "alice@example.com")
    assert send_test(api.as_user(outsider), method).status_code == 404
    assert not Message.objects.exists()


def test_one_test_a_minute(api, alice, clock):
    method = method_of(alice, "email", "alice@example.com")
    client = api.as_user(alice)
    assert send_test(client, method).status_code == 202
    clock.shift(timedelta(seconds=59))
    again = send_test(client, method)
    assert again.status_code == 429 and again["Retry-After"] == "2"
    clock.shift(timedelta(seconds=2))
    assert send_test(client, method).status_code == 202


def test_a_failed_test_is_shown_on_the_method(api, alice):
    with HttpReceiver(default=(410, {"error": "gone"})) as receiver:
        method = method_of(alice, "webhook", receiver.url + "/hook")
        response = send_test(api.as_user(alice), method)
        outbox_send_due()

    message = Message.objects.get(pk=response.json()["message_id"])
    assert message.status == MessageStatus.FAILED
    shown = api.as_user(alice).get(f"{URL}{method.pk}/").json()
    assert shown["last_error"].startswith("Test notification failed: HTTP 410")
    assert shown["working"] is False


def test_a_test_to_a_method_deleted_meanwhile_is_not_sent(api, alice):
    with HttpReceiver() as receiver:
        method = method_of(alice, "webhook", receiver.url + "/hook")
        response = send_test(api.as_user(alice), method)
        method.delete()
        outbox_send_due()
    assert receiver.requests == []
    assert Message.objects.get(pk=response.json()["message_id"]).status == MessageStatus.CANCELLED
