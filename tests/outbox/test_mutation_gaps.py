"""The outbox's promises that mutation testing found untested: the back-off and what a
receiver's Retry-After does to it, which messages a claim, a delivery, the sweep and a
send-everything run take, what each outcome of a send records (and tells the room that
wrote the message), and when each message is handed to a worker (the task's ETA, read
from an in-memory broker)."""

import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core import mail
from django.utils import timezone

from outbox import services
from outbox.models import MessageStatus
from outbox.purposes import Purpose, purpose_register
from outbox.transports import transport_for, transport_register
from tests.harness.receivers import HttpReceiver
from tests.harness.tasks import tasks_published_to

pytestmark = pytest.mark.django_db


def enqueue(key="k1", **fields):
    fields.setdefault("purpose", "test")
    fields.setdefault("transport", "email")
    fields.setdefault("address", "alice@example.com")
    fields.setdefault("payload", {"subject": "Hello", "text": "Body"})
    return services.message_enqueue(key=key, **fields)


def status_of(message):
    message.refresh_from_db()
    return message.status


class RetryAfterReceiver:
    """A receiver on 127.0.0.1 that answers every request 429 with ``Retry-After``."""

    def __init__(self, retry_after: str) -> None:
        value = retry_after

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                self.send_response(429)
                self.send_header("Retry-After", value)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self):
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


class handed_to_workers:
    """Tasks are published to an in-memory broker; ``.deliveries`` lists the
    (message id, ETA) of every ``outbox.deliver`` task published inside the block."""

    def __enter__(self):
        self._published = tasks_published_to("memory://")
        self.app = self._published.__enter__()
        self._drain()  # the in-memory broker outlives a test: start from an empty queue
        self.deliveries = []
        return self

    def __exit__(self, *exc) -> None:
        try:
            self.deliveries = self._drain()
        finally:
            self._published.__exit__(*exc)

    def _drain(self):
        deliveries = []
        with self.app.connection_for_read() as connection:
            queue = connection.SimpleQueue("outbox")
            while True:
                try:
                    task = queue.get(block=False)
                except queue.Empty:
                    break
                deliveries.append(
                    (int(task.headers["argsrepr"].strip("(,)")), task.headers.get("eta"))
                )
                task.ack()
            queue.close()
        return deliveries


# --- back-off ------------------------------------------------------------------------


def test_backoff_doubles_each_attempt_and_is_capped_at_an_hour(settings):
    settings.OUTBOX_RETRY_BASE_SECONDS = 30
    settings.OUTBOX_RETRY_MAX_SECONDS = 3600
    delays = [services.retry_delay_seconds(attempts) for attempts in range(0, 10)]
    assert delays == [30.0, 30.0, 60.0, 120.0, 240.0, 480.0, 960.0, 1920.0, 3600.0, 3600.0]
    assert all(isinstance(delay, float) for delay in delays)


@pytest.mark.parametrize(
    ("retry_after", "wait_seconds"),
    [("120", 120), ("5", 30), ("999999", 3600)],
    ids=["longer-than-backoff-is-honoured", "shorter-than-backoff-is-not", "capped-at-an-hour"],
)
def test_a_receivers_retry_after_only_ever_lengthens_the_backoff(clock, retry_after, wait_seconds):
    with RetryAfterReceiver(retry_after) as receiver:
        message = enqueue(transport="webhook", address=receiver.url, payload={"body": {}})
        assert services.outbox_send_due() == 1
    message.refresh_from_db()
    assert message.status == MessageStatus.QUEUED and message.attempts == 1
    assert message.due_at == timezone.now() + timedelta(seconds=wait_seconds)
    assert message.last_error == "HTTP 429 from the receiver." and message.lease_until is None


# --- writing and handing out ---------------------------------------------------------


def test_enqueue_writes_every_field_and_defaults_to_high_urgency_due_now(clock, alice):
    message = enqueue(recipient=alice, group="incident:7", bundle="contact:3:high")
    message.refresh_from_db()
    assert (message.urgency, message.recipient, message.group, message.bundle) == (
        "high",
        alice,
        "incident:7",
        "contact:3:high",
    )
    assert message.due_at == timezone.now() and message.created_at == timezone.now()
    assert message.payload == {"subject": "Hello", "text": "Body"}
    assert (message.status, message.attempts) == (MessageStatus.QUEUED, 0)
    later = timezone.now() + timedelta(minutes=3)
    low = enqueue(key="k2", urgency="low", due_at=later, payload=None)
    low.refresh_from_db()
    assert (low.urgency, low.due_at, low.payload) == ("low", later, {})


def test_a_message_due_later_is_handed_to_a_worker_with_its_due_time_as_eta(
    clock, django_capture_on_commit_callbacks
):
    later = timezone.now() + timedelta(minutes=5)
    with handed_to_workers() as workers, django_capture_on_commit_callbacks(execute=True):
        now_message = enqueue(key="now")
        later_message = enqueue(key="later", due_at=later)
        enqueue(key="now")  # the same key again: already handed out, not again
    assert workers.deliveries == [(now_message.pk, None), (later_message.pk, later.isoformat())]


def test_nothing_is_handed_out_before_the_commit(clock, django_capture_on_commit_callbacks):
    with (
        handed_to_workers() as workers,
        django_capture_on_commit_callbacks(execute=False) as callbacks,
    ):
        enqueue()
    assert workers.deliveries == [] and len(callbacks) == 1


def test_a_failed_attempt_is_handed_to_a_worker_again_at_its_retry_time(
    clock, django_capture_on_commit_callbacks
):
    with HttpReceiver(default=(503, {})) as sink:
        message = enqueue(transport="webhook", address=sink.url, payload={"body": {}})
        with handed_to_workers() as workers, django_capture_on_commit_callbacks(execute=True):
            assert services.message_deliver(message_id=message.pk) == MessageStatus.QUEUED
    retry_at = timezone.now() + timedelta(seconds=30)
    assert workers.deliveries == [(message.pk, retry_at.isoformat())]


def test_a_postponed_message_is_handed_to_a_worker_again_at_the_time_it_waits_for(
    clock, django_capture_on_commit_callbacks
):
    later = timezone.now() + timedelta(minutes=7)

    def prepare(message):
        from outbox.purposes import NotYet

        raise NotYet(later, "waiting for a channel")

    purpose_register(Purpose("test.postpone", prepare=prepare))
    message = enqueue(purpose="test.postpone")
    with handed_to_workers() as workers, django_capture_on_commit_callbacks(execute=True):
        assert services.message_deliver(message_id=message.pk) == MessageStatus.QUEUED
    assert workers.deliveries == [(message.pk, later.isoformat())]
    message.refresh_from_db()
    assert (message.due_at, message.lease_until, message.attempts) == (later, None, 0)
    assert message.updated_at == timezone.now()


def test_a_late_senders_postpone_is_dropped(clock):
    message = enqueue()
    stale = services.messages_claim()[0]
    clock.shift(timedelta(seconds=31))
    fresh = services.messages_claim()[0]
    assert services._postpone(stale, timezone.now() + timedelta(hours=1), "late") == ""
    message.refresh_from_db()
    assert (message.status, message.attempts) == (MessageStatus.SENDING, fresh.attempts)


# --- claiming ------------------------------------------------------------------------


def test_a_lease_holds_to_its_last_instant(clock, settings):
    settings.OUTBOX_LEASE_SECONDS = 30
    message = enqueue()
    claimed = services.messages_claim()[0]
    assert claimed.lease_until == timezone.now() + timedelta(seconds=30)
    clock.shift(timedelta(seconds=30))
    assert services.messages_claim() == []
    clock.shift(timedelta(microseconds=1))
    assert [m.pk for m in services.messages_claim()] == [message.pk]


def test_a_message_is_not_claimed_a_moment_before_it_is_due(clock):
    message = enqueue(due_at=timezone.now() + timedelta(seconds=10))
    clock.shift(timedelta(seconds=10) - timedelta(microseconds=1))
    assert services.messages_claim() == []
    clock.shift(timedelta(microseconds=1))
    assert [m.pk for m in services.messages_claim()] == [message.pk]


def test_claims_take_the_earliest_due_first_up_to_the_limit(clock):
    base = timezone.now()
    third = enqueue(key="c", due_at=base - timedelta(seconds=1))
    first = enqueue(key="a", due_at=base - timedelta(seconds=3))
    second = enqueue(key="b", due_at=base - timedelta(seconds=2))
    assert [m.pk for m in services.messages_claim(limit=2)] == [first.pk, second.pk]
    assert [m.pk for m in services.messages_claim(limit=2)] == [third.pk]


def test_delivering_one_message_sends_only_that_one_and_only_when_due(clock):
    wanted = enqueue(key="wanted", address="wanted@example.com")
    enqueue(key="other", address="other@example.com")
    later = enqueue(key="later", due_at=timezone.now() + timedelta(minutes=1))
    assert services.message_deliver(message_id=wanted.pk) == MessageStatus.SENT
    assert [m.to for m in mail.outbox] == [["wanted@example.com"]]
    assert services.message_deliver(message_id=wanted.pk) == ""
    assert services.message_deliver(message_id=later.pk) == ""
    assert status_of(later) == MessageStatus.QUEUED and len(mail.outbox) == 1


def test_send_due_stops_at_its_limit_and_otherwise_sends_everything_in_batches(clock):
    for n in range(25):
        enqueue(key=f"m{n}")
    assert services.outbox_send_due(limit=1) == 1
    assert len(mail.outbox) == 1
    assert services.outbox_send_due(limit=3) == 3
    assert services.outbox_send_due() == 21
    assert len(mail.outbox) == 25
    assert services.outbox_send_due() == 0


# --- the sweep -----------------------------------------------------------------------


def test_the_sweep_hands_out_only_what_is_overdue_past_the_grace(clock, settings):
    settings.OUTBOX_SWEEP_GRACE_SECONDS = 2
    settings.OUTBOX_LEASE_SECONDS = 30
    overdue = enqueue(key="overdue")
    sending = enqueue(key="sending")
    services.messages_claim(ids=[sending.pk])
    clock.shift(timedelta(seconds=2))
    fresh = enqueue(key="fresh")
    enqueue(key="future", due_at=timezone.now() + timedelta(hours=1))
    with handed_to_workers() as workers:
        assert services.outbox_sweep() == 1
    # Queued for exactly the grace: its own task may still be on its way, but it is due.
    assert workers.deliveries == [(overdue.pk, None)]
    clock.shift(timedelta(seconds=28))
    with handed_to_workers() as workers:
        assert services.outbox_sweep() == 2
    # The sender of "sending" holds its lease until now: not yet handed out.
    assert sorted(workers.deliveries) == sorted([(overdue.pk, None), (fresh.pk, None)])
    clock.shift(timedelta(microseconds=1))
    with handed_to_workers() as workers:
        assert services.outbox_sweep(limit=2) == 2
    # The limit takes the longest overdue first (the sender that died is the oldest).
    assert [pk for pk, _eta in workers.deliveries] == [overdue.pk, sending.pk]


def test_the_sweep_with_nothing_overdue_hands_out_nothing(clock):
    enqueue(due_at=timezone.now() + timedelta(minutes=1))
    with handed_to_workers() as workers:
        assert services.outbox_sweep() == 0
    assert workers.deliveries == []


def test_what_the_sweep_hands_out_is_sent(clock, committing):
    message = enqueue()
    clock.shift(timedelta(seconds=5))
    assert services.outbox_sweep() == 1
    assert status_of(message) == MessageStatus.SENT and len(mail.outbox) == 1


# --- sending and recording -----------------------------------------------------------


def test_a_message_that_cannot_be_rendered_is_retried_with_the_reason(clock):
    def prepare(message):
        raise ValueError("template missing")

    purpose_register(Purpose("test.broken", prepare=prepare))
    message = enqueue(purpose="test.broken")
    assert services.outbox_send_due() == 1
    message.refresh_from_db()
    assert message.status == MessageStatus.QUEUED and message.attempts == 1
    assert message.last_error == "Could not render the message: template missing"
    assert mail.outbox == []


def test_a_message_no_longer_wanted_is_cancelled_and_not_sent(clock):
    purpose_register(Purpose("test.unwanted", prepare=lambda message: None))
    message = enqueue(purpose="test.unwanted")
    assert services.message_deliver(message_id=message.pk) == MessageStatus.CANCELLED
    message.refresh_from_db()
    assert message.status == MessageStatus.CANCELLED and message.lease_until is None
    assert message.sent_at is None and mail.outbox == []


def _register_transport(name, sender):
    transport_for("email")  # the built-in transports first: registering is additive
    transport_register(name, sender)


def test_a_transport_raising_its_own_error_is_retried_and_says_what_it_raised(clock):
    def explode(envelope):
        raise RuntimeError("socket closed")

    _register_transport("t-explode", explode)
    message = enqueue(transport="t-explode")
    assert services.message_deliver(message_id=message.pk) == MessageStatus.QUEUED
    message.refresh_from_db()
    assert message.last_error == "RuntimeError: socket closed" and message.attempts == 1


def test_a_sent_message_records_when_and_the_providers_id_trimmed(clock):
    _register_transport("t-longid", lambda envelope: "p" * 300)
    _register_transport("t-noid", lambda envelope: None)
    message = enqueue(transport="t-longid")
    assert services.message_deliver(message_id=message.pk) == MessageStatus.SENT
    message.refresh_from_db()
    assert message.provider_id == "p" * 200
    assert message.sent_at == timezone.now() and message.lease_until is None
    quiet = enqueue(key="k2", transport="t-noid")
    assert services.message_deliver(message_id=quiet.pk) == MessageStatus.SENT
    quiet.refresh_from_db()
    assert quiet.provider_id == ""


def test_a_long_error_is_stored_trimmed(clock):
    def prepare(message):
        raise ValueError("x" * 5000)

    purpose_register(Purpose("test.long-error", prepare=prepare))
    message = enqueue(purpose="test.long-error")
    services.outbox_send_due()
    message.refresh_from_db()
    assert message.last_error == ("Could not render the message: " + "x" * 5000)[:2000]


def test_success_after_a_failure_clears_the_error_and_the_room_hears_each_outcome(clock, settings):
    settings.OUTBOX_MAX_ATTEMPTS = 3
    heard = []
    purpose_register(
        Purpose(
            "test.hooks",
            prepare=lambda message: {"body": {}},
            sent=lambda message: heard.append(("sent", message.status, message.attempts)),
            failed=lambda message, final: heard.append(("failed", message.status, final)),
        )
    )
    with HttpReceiver() as sink:
        sink.replies = [(503, {})]
        ok = enqueue(key="ok", purpose="test.hooks", transport="webhook", address=sink.url)
        services.outbox_send_due()
        clock.shift(timedelta(seconds=30))
        services.outbox_send_due()
    ok.refresh_from_db()
    assert ok.status == MessageStatus.SENT and ok.last_error == "" and ok.attempts == 2
    assert heard == [("failed", MessageStatus.QUEUED, False), ("sent", MessageStatus.SENT, 2)]
    heard.clear()
    with HttpReceiver(default=(404, {})) as sink:
        gone = enqueue(key="gone", purpose="test.hooks", transport="webhook", address=sink.url)
        services.outbox_send_due()
    assert status_of(gone) == MessageStatus.FAILED
    assert heard == [("failed", MessageStatus.FAILED, True)]


def test_cancelling_a_group_for_one_purpose_leaves_its_other_messages(clock):
    page = enqueue(key="a", purpose="paging.page", group="incident:1")
    update = enqueue(key="b", purpose="test", group="incident:1")
    clock.shift(timedelta(minutes=1))
    assert services.messages_cancel(group="incident:1", purpose="paging.page") == 1
    assert status_of(page) == MessageStatus.CANCELLED
    assert page.updated_at == timezone.now()
    assert status_of(update) == MessageStatus.QUEUED
