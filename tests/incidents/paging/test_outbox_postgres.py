"""The outbox under trouble, on PostgreSQL with real concurrency: an acknowledgement
completes while a channel hangs or trickles its answer (no lock or transaction is held
across the send), two senders racing send every message once, and a worker killed in
the middle of a send loses nothing and repeats the page with the same idempotency key."""

import os
import signal
import threading
import time
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.utils import timezone

from incidents.models import IncidentStatus
from incidents.paging.models import Page, PageStatus
from incidents.services import incident_acknowledge
from oncall.contacts.models import ContactMethod
from outbox import services as outbox
from outbox.models import Message, MessageStatus
from tests.harness.concurrency import race, raised
from tests.harness.receivers import HttpReceiver
from tests.harness.slow import StallingReceiver
from tests.harness.tasks import tasks_published_to
from tests.harness.workers import running_worker
from tests.incidents.factories import IncidentFactory
from tests.oncall.factories import make_policy

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def _declare_unsent(team):
    """Declare an incident and drop the tasks its commit sends: its page waits in the
    outbox for whichever sender the test runs."""
    with tasks_published_to("memory://"):
        return IncidentFactory(team=team, severity="SEV1")


@pytest.mark.parametrize("mode", ["hang", "trickle"])
def test_acknowledging_does_not_wait_for_a_channel_that_hangs(team, alice, settings, mode):
    settings.OUTBOX_SEND_DEADLINE_SECONDS = 20
    make_policy(team, [(5, [alice])])
    with StallingReceiver(mode, hold=30, every=1.0) as stalling:
        ContactMethod.objects.create(user=alice, kind="webhook", address=stalling.url)
        incident = _declare_unsent(team)
        sender = threading.Thread(target=outbox.outbox_send_due)
        sender.start()
        assert stalling.arrived.wait(10), "the page never reached the receiver"
        # The send is in flight. Every write a person makes now must not wait for it: a
        # lock held by the sender would make these fail after 2 s instead.
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '2s'")
            acknowledged = incident_acknowledge(incident=incident.pk, actor=alice)
            get_user_model().objects.filter(pk=alice.pk).update(last_login=timezone.now())
            ContactMethod.objects.filter(user=alice).update(label="renamed while paging")
        assert acknowledged.status == IncidentStatus.ACKNOWLEDGED
        assert sender.is_alive() and not stalling.finished.is_set()
        stalling.release()
        sender.join(30)
    message = Message.objects.get()
    page = Page.objects.get()
    if mode == "hang":
        # Released, the receiver answered: the page in flight was not cancelled under
        # the sender's feet, and is recorded as sent.
        assert message.status == MessageStatus.SENT and page.status == PageStatus.SENT
    else:
        # Released mid-answer, the trickle never completed: the attempt failed, and the
        # message waits for its retry (the incident is acknowledged: the retry's
        # last-moment check will drop it).
        assert message.status == MessageStatus.QUEUED and message.attempts == 1


def test_a_trickling_channel_is_cut_off_at_the_deadline_and_retried(team, alice, settings):
    settings.OUTBOX_SEND_DEADLINE_SECONDS = 2
    make_policy(team, [(5, [alice])])
    with StallingReceiver("trickle", every=1.0) as stalling:
        ContactMethod.objects.create(user=alice, kind="webhook", address=stalling.url)
        _declare_unsent(team)
        assert outbox.outbox_send_due() == 1
        assert not stalling.finished.is_set()
    message = Message.objects.get()
    assert message.status == MessageStatus.QUEUED and message.attempts == 1
    assert message.due_at > timezone.now() + timedelta(seconds=20)
    page = Page.objects.get()
    assert page.status == PageStatus.QUEUED
    assert "in time" in page.error or "deadline" in page.error


def test_two_senders_racing_send_every_message_exactly_once(team, alice):
    with HttpReceiver() as sink:
        for n in range(40):
            outbox.message_enqueue(
                key=f"race:{n}",
                purpose="test",
                transport="webhook",
                address=sink.url,
                payload={"body": {"n": n}},
            )
        outcomes = race(2, outbox.outbox_send_due)
        assert raised(outcomes) == []
        assert sum(outcomes) == 40
    keys = [request.headers["idempotency-key"] for request in sink.requests]
    assert sorted(keys) == sorted(f"race:{n}" for n in range(40))
    assert set(Message.objects.values_list("status", "attempts")) == {(MessageStatus.SENT, 1)}


def test_a_worker_killed_mid_send_loses_no_page_and_repeats_it_with_the_same_key(
    redis_broker, tmp_path, team, alice
):
    make_policy(team, [(5, [alice])])
    env = {"OUTBOX_LEASE_SECONDS": "4", "OUTBOX_SEND_DEADLINE_SECONDS": "3"}
    with StallingReceiver("hang", hold=30) as stalling:
        ContactMethod.objects.create(user=alice, kind="webhook", address=stalling.url)
        with running_worker(tmp_path / "first.log", **env) as first:
            incident = IncidentFactory(team=team, severity="SEV1")  # its tasks go to Redis
            assert stalling.arrived.wait(60), (tmp_path / "first.log").read_text()[-3000:]
            os.kill(first.pid, signal.SIGKILL)  # in the middle of the send
            first.wait(10)
        assert Message.objects.get().status == MessageStatus.SENDING
        stalling.arrived.clear()
        stalling.release()
        # A new worker with beat: the outbox sweep hands the message out again once the
        # dead sender's lease has expired.
        with running_worker(tmp_path / "second.log", beat=True, **env):
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                if Message.objects.filter(status=MessageStatus.SENT).exists():
                    break
                time.sleep(0.3)
    log = (tmp_path / "second.log").read_text()[-3000:]
    message = Message.objects.get()
    assert message.status == MessageStatus.SENT and message.attempts == 2, log
    assert len(stalling.requests) == 2
    keys = [_header(raw, "idempotency-key") for raw in stalling.requests]
    assert keys == [message.key, message.key]
    assert Page.objects.get(incident=incident).status == PageStatus.SENT


def _header(raw: bytes, name: str) -> str:
    for line in raw.decode().split("\r\n")[1:]:
        key, _, value = line.partition(":")
        if key.strip().lower() == name:
            return value.strip()
    return ""
