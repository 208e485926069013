"""The Twilio transports against a local stand-in for Twilio's REST API: what is sent
(form fields, basic auth, the idempotency token), what comes back (the SID), and how a
refusal or an outage is classified."""

import base64
import time
from urllib.parse import urlsplit

import pytest

from outbox.models import Message, MessageStatus
from outbox.services import message_enqueue, outbox_send_due
from outbox.transports import Envelope, TransportError, transport_for
from outbox.transports import twilio as twilio_transport
from tests.harness.receivers import TWILIO_INVALID_NUMBER

PHONE = "+14155550100"


def envelope(content, *, address=PHONE, key="tocsin-test-key-1", seconds=10.0):
    return Envelope(key=key, address=address, content=content, deadline=time.monotonic() + seconds)


def test_sms_posts_the_form_twilio_documents_and_returns_the_sid(twilio):
    sid = twilio_transport.send_sms(envelope({"text": "[SEV1] PAY-1: Checkout down"}))

    [request] = twilio.requests
    assert request.method == "POST"
    assert urlsplit(request.path).path == (
        f"/2010-04-01/Accounts/{twilio.account_sid}/Messages.json"
    )
    assert request.headers["content-type"].startswith("application/x-www-form-urlencoded")
    assert twilio.form(request) == {
        "To": PHONE,
        "From": twilio.from_number,
        "Body": "[SEV1] PAY-1: Checkout down",
    }
    expected = base64.b64encode(f"{twilio.account_sid}:{twilio.auth_token}".encode()).decode()
    assert request.headers["authorization"] == f"Basic {expected}"
    assert request.headers["i-twilio-idempotency-token"] == "tocsin-test-key-1"
    assert sid.startswith("SM") and len(sid) == 34
    assert twilio.messages == [twilio.form(request)]


def test_sms_body_is_cut_to_twilios_limit(twilio):
    twilio_transport.send_sms(envelope({"text": "x" * 2000}))
    assert len(twilio.messages[0]["Body"]) == 1600


def test_voice_call_says_the_script_as_escaped_twiml(twilio):
    sid = twilio_transport.send_voice(envelope({"say": "PAY-1 <down> & out"}))

    [request] = twilio.requests
    assert urlsplit(request.path).path.endswith(f"/Accounts/{twilio.account_sid}/Calls.json")
    form = twilio.form(request)
    assert form["To"] == PHONE and form["From"] == twilio.from_number
    assert form["Twiml"] == "<Response><Say>PAY-1 &lt;down&gt; &amp; out</Say></Response>"
    assert request.headers["i-twilio-idempotency-token"] == "tocsin-test-key-1"
    assert sid.startswith("CA")


def test_an_invalid_number_is_a_permanent_failure_with_twilios_message(twilio):
    with pytest.raises(TransportError) as refused:
        twilio_transport.send_sms(envelope({"text": "hi"}, address=TWILIO_INVALID_NUMBER))
    assert refused.value.permanent
    assert "400" in str(refused.value) and "21211" in str(refused.value)
    assert TWILIO_INVALID_NUMBER in str(refused.value)
    assert twilio.messages == []


def test_wrong_credentials_are_a_permanent_failure(twilio, settings):
    settings.TWILIO_AUTH_TOKEN = "not-the-token"
    with pytest.raises(TransportError) as refused:
        twilio_transport.send_voice(envelope({"say": "hello"}))
    assert refused.value.permanent and "401" in str(refused.value)
    assert twilio.calls == []


@pytest.mark.parametrize("status", [503, 500, 429])
def test_an_outage_or_rate_limit_is_temporary(twilio, status):
    twilio.replies.append(twilio.error(status, 20500 if status >= 500 else 20429, "Try later"))
    with pytest.raises(TransportError) as failed:
        twilio_transport.send_sms(envelope({"text": "hi"}))
    assert not failed.value.permanent
    assert str(status) in str(failed.value)


def test_an_unreachable_twilio_is_temporary(twilio, settings):
    settings.TWILIO_API_URL = "http://127.0.0.1:9"
    with pytest.raises(TransportError) as failed:
        twilio_transport.send_sms(envelope({"text": "hi"}))
    assert not failed.value.permanent


@pytest.mark.parametrize("name", ["TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_FROM_NUMBER"])
def test_a_missing_setting_is_a_permanent_failure_naming_it(twilio, settings, name):
    setattr(settings, name, "")
    with pytest.raises(TransportError) as failed:
        twilio_transport.send_sms(envelope({"text": "hi"}))
    assert failed.value.permanent and name in str(failed.value)
    assert twilio.requests == []


def test_a_spent_deadline_sends_nothing(twilio):
    with pytest.raises(TransportError):
        twilio_transport.send_sms(envelope({"text": "hi"}, seconds=-1))
    assert twilio.requests == []


def test_only_twilio_hosts_are_moved_to_the_configured_api_url():
    client = twilio_transport.DeadlineHttpClient(envelope({}), "http://127.0.0.1:8099/base")
    assert (
        client.rewrite("https://api.twilio.com/2010-04-01/Accounts/AC1/Messages.json?x=1")
        == "http://127.0.0.1:8099/base/2010-04-01/Accounts/AC1/Messages.json?x=1"
    )
    assert client.rewrite("https://api.dublin.ie1.twilio.com/x").startswith(
        "http://127.0.0.1:8099/base/x"
    )
    assert client.rewrite("https://example.com/x") == "https://example.com/x"
    assert client.rewrite("https://nottwilio.com/x") == "https://nottwilio.com/x"
    default = twilio_transport.DeadlineHttpClient(envelope({}), "https://api.twilio.com")
    assert default.rewrite("https://api.dublin.ie1.twilio.com/x") == (
        "https://api.dublin.ie1.twilio.com/x"
    )


@pytest.mark.django_db
def test_an_sms_message_goes_out_through_the_outbox_and_records_the_sid(twilio, alice):
    message = message_enqueue(
        key="sms-through-outbox",
        purpose="tests.plain",
        transport="sms",
        address=PHONE,
        payload={"text": "hello from the outbox"},
        recipient=alice,
    )
    assert transport_for("sms") is twilio_transport.send_sms
    assert transport_for("voice") is twilio_transport.send_voice

    outbox_send_due()

    message = Message.objects.get(pk=message.pk)
    assert message.status == MessageStatus.SENT
    assert twilio.messages[0]["Body"] == "hello from the outbox"
    assert twilio.requests[0].headers["i-twilio-idempotency-token"] == "sms-through-outbox"
    assert message.provider_id.startswith("SM") and len(message.provider_id) == 34


@pytest.mark.django_db
def test_a_refused_number_fails_the_outbox_message_at_once(twilio, alice):
    message = message_enqueue(
        key="sms-refused",
        purpose="tests.plain",
        transport="sms",
        address=TWILIO_INVALID_NUMBER,
        payload={"text": "hello"},
        recipient=alice,
    )
    outbox_send_due()
    message = Message.objects.get(pk=message.pk)
    assert message.status == MessageStatus.FAILED and message.attempts == 1
    assert "21211" in message.last_error


@pytest.mark.django_db
def test_an_outage_queues_the_outbox_message_for_a_retry(twilio, alice):
    twilio.replies.append(twilio.error(503, 20503, "Service Unavailable"))
    message = message_enqueue(
        key="sms-outage",
        purpose="tests.plain",
        transport="sms",
        address=PHONE,
        payload={"text": "hello"},
        recipient=alice,
    )
    outbox_send_due()
    message = Message.objects.get(pk=message.pk)
    assert message.status == MessageStatus.QUEUED and "503" in message.last_error
    assert twilio.messages == []
