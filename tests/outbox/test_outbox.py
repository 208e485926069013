"""The outbox's promises, through real local receivers: a message is written before any
network I/O, claimed with a lease, sent outside any transaction under a total deadline,
retried with back-off, fenced so a late sender never overwrites a newer attempt, and
repeated only with the same idempotency key."""

import hashlib
import hmac
import json
from datetime import timedelta

import pytest
from django.core import mail

from outbox import services
from outbox.models import Message, MessageStatus
from outbox.purposes import NotYet, Purpose, purpose_register
from outbox.transports.email import message_id
from tests.harness.receivers import HttpReceiver
from tests.harness.slow import StallingReceiver

pytestmark = pytest.mark.django_db


def enqueue(key="k1", transport="email", address="alice@example.com", **fields):
    payload = fields.pop("payload", {"subject": "Hello", "text": "Body"})
    return services.message_enqueue(
        key=key, purpose="test", transport=transport, address=address, payload=payload, **fields
    )


def test_enqueueing_the_same_key_twice_writes_one_message(clock, committing):
    with committing():
        first = enqueue()
        second = enqueue(payload={"subject": "Other", "text": "Other"})
    assert first.pk == second.pk and Message.objects.count() == 1
    assert mail.outbox[0].subject == "Hello" and len(mail.outbox) == 1


def test_a_claim_takes_a_lease_and_a_second_claim_gets_nothing(clock):
    message = enqueue()
    claimed = services.messages_claim()
    assert [m.pk for m in claimed] == [message.pk]
    assert claimed[0].status == MessageStatus.SENDING and claimed[0].attempts == 1
    assert services.messages_claim() == []
    # The sender died: once its lease has run out the message is claimed again.
    clock.shift(timedelta(seconds=31))
    again = services.messages_claim()
    assert [m.pk for m in again] == [message.pk] and again[0].attempts == 2


def test_a_crash_after_sending_repeats_the_email_with_the_same_message_id(clock):
    message = enqueue(key="postmortem.sla:7:due")
    claimed = services.messages_claim()[0]
    # The first sender sent and died before recording it (the mail went out)...
    from outbox.transports import Envelope, transport_for

    transport_for("email")(Envelope(claimed.key, claimed.address, claimed.payload, deadline=1e18))
    clock.shift(timedelta(seconds=31))
    # ...so the message is sent again once the lease has expired: at least once, same id.
    assert services.outbox_send_due() == 1
    ids = [m.extra_headers["Message-ID"] for m in mail.outbox]
    assert ids == [message_id(message.key)] * 2
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT and message.attempts == 2


def test_a_late_sender_never_overwrites_a_newer_attempt(clock):
    message = enqueue()
    stale = services.messages_claim()[0]
    clock.shift(timedelta(seconds=31))
    fresh = services.messages_claim()[0]
    assert services.message_send(fresh) == MessageStatus.SENT
    # The first sender comes back with a failure: its record is dropped.
    assert services._record(stale, error="HTTP 500 from the receiver.") == ""
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT and message.last_error == ""


def test_failures_back_off_then_give_up(clock, settings):
    settings.OUTBOX_MAX_ATTEMPTS = 3
    with HttpReceiver(default=(503, {})) as sink:
        message = enqueue(transport="webhook", address=sink.url, payload={"body": {}})
        services.outbox_send_due()
        message.refresh_from_db()
        assert message.status == MessageStatus.QUEUED
        assert message.due_at == clock_now() + timedelta(seconds=30)
        clock.shift(timedelta(seconds=30))
        services.outbox_send_due()
        message.refresh_from_db()
        assert message.due_at == clock_now() + timedelta(seconds=60)
        clock.shift(timedelta(seconds=59))
        assert services.outbox_send_due() == 0
        clock.shift(timedelta(seconds=1))
        services.outbox_send_due()
    message.refresh_from_db()
    assert message.status == MessageStatus.FAILED and message.attempts == 3
    assert len(sink.requests) == 3 and "HTTP 503" in message.last_error


def test_a_permanent_error_fails_at_once_and_a_429_is_retried(clock):
    with HttpReceiver() as sink:
        sink.replies = [(404, {})]
        gone = enqueue(key="gone", transport="webhook", address=sink.url, payload={"body": {}})
        services.outbox_send_due()
        gone.refresh_from_db()
        assert gone.status == MessageStatus.FAILED and "HTTP 404" in gone.last_error
    with HttpReceiver(default=(429, {})) as sink:
        slow = enqueue(key="slow", transport="webhook", address=sink.url, payload={"body": {}})
        services.outbox_send_due()
        slow.refresh_from_db()
        assert slow.status == MessageStatus.QUEUED


def test_cancelling_a_group_stops_what_is_queued_only(clock):
    queued = enqueue(key="a", group="incident:1")
    sending = enqueue(key="b", group="incident:1")
    other = enqueue(key="c", group="incident:2")
    services.messages_claim(ids=[sending.pk])
    assert services.messages_cancel(group="incident:1") == 1
    statuses = dict(Message.objects.values_list("key", "status"))
    assert statuses == {
        queued.key: MessageStatus.CANCELLED,
        sending.key: MessageStatus.SENDING,
        other.key: MessageStatus.QUEUED,
    }


def test_a_message_that_must_wait_is_queued_again_without_using_an_attempt(clock):
    later = clock_now() + timedelta(minutes=5)

    def prepare(message):
        if clock_now() < later:
            raise NotYet(later, "a test throttle")
        return message.payload

    purpose_register(Purpose("test.wait", prepare=prepare))
    message = services.message_enqueue(
        key="w",
        purpose="test.wait",
        transport="email",
        address="a@example.com",
        payload={"subject": "S", "text": "T"},
    )
    services.outbox_send_due()
    message.refresh_from_db()
    assert message.status == MessageStatus.QUEUED and message.attempts == 0
    assert message.due_at == later and mail.outbox == []
    clock.shift(timedelta(minutes=5))
    services.outbox_send_due()
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT and message.attempts == 1


def test_webhook_carries_the_idempotency_key_in_a_signed_body_and_a_header(clock):
    secret = "hook-secret"

    def prepare(message):
        return {"body": message.payload["body"], "secret": secret}

    purpose_register(Purpose("test.hook", prepare=prepare))
    with HttpReceiver() as sink:
        message = services.message_enqueue(
            key="page:1:1:0:1:2:3",
            purpose="test.hook",
            transport="webhook",
            address=sink.url,
            payload={"body": {"type": "page"}},
        )
        services.outbox_send_due()
    request = sink.requests[0]
    assert request.headers["idempotency-key"] == message.key
    assert request.json()["id"] == message.key
    expected = "sha256=" + hmac.new(secret.encode(), request.body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(request.headers["x-tocsin-signature"], expected)
    # The secret is used when sending and never stored with the message.
    message.refresh_from_db()
    assert secret not in json.dumps(message.payload)


@pytest.mark.parametrize("mode", ["hang", "trickle"])
def test_a_receiver_that_stalls_is_cut_off_at_the_deadline(clock, settings, mode):
    settings.OUTBOX_SEND_DEADLINE_SECONDS = 1
    with StallingReceiver(mode, every=0.5) as stalling:
        message = enqueue(transport="webhook", address=stalling.url, payload={"body": {}})
        assert services.outbox_send_due() == 1
        # The sender has moved on while the receiver is still stalling.
        assert stalling.arrived.is_set() and not stalling.finished.is_set()
    message.refresh_from_db()
    assert message.status == MessageStatus.QUEUED and message.attempts == 1
    assert "in time" in message.last_error or "deadline" in message.last_error


def clock_now():
    from django.utils import timezone

    return timezone.now()


def test_a_destination_that_hangs_holds_at_most_two_senders(clock, settings):
    """Two messages to one receiver are in flight (claimed by senders that have not
    answered): a third to the same receiver waits a moment, without using an attempt,
    while one to another receiver goes out."""
    with HttpReceiver() as busy, HttpReceiver() as other:
        for n in range(3):
            enqueue(key=f"busy{n}", transport="webhook", address=busy.url, payload={"body": {}})
        elsewhere = enqueue(
            key="other", transport="webhook", address=other.url, payload={"body": {}}
        )
        in_flight = services.messages_claim(limit=2)
        assert {m.key for m in in_flight} == {"busy0", "busy1"}
        third = services.messages_claim(ids=[Message.objects.get(key="busy2").pk])[0]
        assert services.message_send(third) == MessageStatus.QUEUED
        third.refresh_from_db()
        assert third.attempts == 0 and third.due_at == clock_now() + timedelta(seconds=2)
        assert busy.requests == []
        assert services.message_deliver(message_id=elsewhere.pk) == MessageStatus.SENT
        assert len(other.requests) == 1


@pytest.mark.parametrize("transport", ["slack", "webhook"])
def test_a_redirect_is_never_followed_past_the_address_guard(clock, transport):
    """A Slack incoming webhook or a webhook URL that answers 307 to somewhere else (a
    private address the guard would refuse) is not followed: nothing reaches the target."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from tests.harness.receivers import LocalServer

    with HttpReceiver() as target:

        class Redirect(BaseHTTPRequestHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                self.send_response(307)
                self.send_header("Location", target.url + "/internal")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        with LocalServer(ThreadingHTTPServer(("127.0.0.1", 0), Redirect)) as redirector:
            url = f"http://127.0.0.1:{redirector.port}/hook"
            payload = {"text": "SEV1"} if transport == "slack" else {"body": {}}
            message = enqueue(
                key=f"r-{transport}", transport=transport, address=url, payload=payload
            )
            services.outbox_send_due()
        message.refresh_from_db()
        assert target.requests == []
        assert message.status != MessageStatus.SENT and "307" in message.last_error
