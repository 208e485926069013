"""Mirroring incidents to PagerDuty through the outbox, asserted on what a local Events
API receiver got: in order per incident, retried, given up, repeated after a crash with
the same dedup key, and handed to the outbox when written before it."""

import time
from datetime import timedelta
from functools import partial

import pytest
from django.db import transaction
from django.utils import timezone

from incidents import services
from incidents.mirroring import outbox as mirroring_outbox
from incidents.mirroring.models import MirrorDelivery, MirrorDeliveryStatus
from incidents.mirroring.services import mirror_message_key, pagerduty_mirror_create
from incidents.mirroring.tasks import pagerduty_mirror_sweep
from incidents.models import TimelineEventKind
from outbox.models import Message, MessageStatus
from outbox.purposes import purpose_for
from outbox.services import messages_claim, outbox_send_due
from outbox.transports import Envelope, transport_for
from tests.harness.receivers import HttpReceiver
from tests.incidents.factories import ServiceFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock", "mirroring_purpose")]
ROUTING_KEY = "R" * 32


@pytest.fixture
def mirroring_purpose():
    """The purpose as start-up registers it (called here too, so these tests do not
    depend on the wiring)."""
    mirroring_outbox.register()


@pytest.fixture
def declare(declare):
    """Each test says when the declaration commits."""
    return partial(declare, title="Payments down", commit=False)


@pytest.fixture
def mirrored(team, settings):
    """``with mirrored(fail_first=0) as pd:`` the team mirrored to a local Events API."""
    pagerduty_mirror_create(actor=None, team=team, routing_key=ROUTING_KEY)

    def start(receiver=None, **kwargs):
        from tests.harness.receivers import PagerDutyReceiver

        receiver = receiver or PagerDutyReceiver(**kwargs)
        settings.PAGERDUTY_EVENTS_URL = receiver.url
        return receiver

    return start


def deliver_all(clock, rounds=30):
    """Send what is due as the outbox's senders would, moving the clock to each next due
    time (retries, events waiting for an earlier one) until nothing is queued."""
    for _ in range(rounds):
        outbox_send_due()
        queued = Message.objects.filter(status=MessageStatus.QUEUED).order_by("due_at").first()
        if queued is None:
            return
        clock.move_to(max(queued.due_at, timezone.now()))
    raise AssertionError("messages still queued after every round")


def actions(bodies):
    return [b["event_action"] for b in bodies]


def timeline(incident):
    return list(incident.timeline.filter(kind=TimelineEventKind.PAGERDUTY_MIRROR))


def test_trigger_acknowledge_resolve_reach_pagerduty_in_order(team, mirrored, committing, declare):
    with mirrored() as pd:
        with committing():
            incident = declare(team)
        with committing():
            services.incident_acknowledge(incident=incident, actor=None)
        with committing():
            services.incident_resolve(incident=incident, actor=None)

    assert [r.path for r in pd.requests] == ["/v2/enqueue"] * 3
    assert actions(pd.accepted) == ["trigger", "acknowledge", "resolve"]
    assert {b["dedup_key"] for b in pd.accepted} == {str(incident.pk)}
    assert {b["routing_key"] for b in pd.accepted} == {ROUTING_KEY}
    payload = pd.accepted[0]["payload"]
    assert payload["summary"] == f"[{incident.reference}] Payments down"
    assert payload["severity"] == "critical"
    assert payload["source"] == "tocsin"
    assert payload["component"] == "Payments"
    assert payload["custom_details"]["reference"] == incident.reference
    href = pd.accepted[0]["links"][0]["href"]
    assert href.endswith(f"/incidents/{incident.pk}/") and "/api/" not in href  # the page
    assert "payload" not in pd.accepted[1] and "payload" not in pd.accepted[2]
    deliveries = list(MirrorDelivery.objects.order_by("pk"))
    assert [d.status for d in deliveries] == [MirrorDeliveryStatus.SENT] * 3
    assert all(d.sent_at == timezone.now() and d.attempts == 1 for d in deliveries)
    messages = Message.objects.order_by("pk")
    assert [(m.key, m.purpose, m.transport, m.address, m.group, m.status) for m in messages] == [
        (
            mirror_message_key(d.pk),
            "mirroring.event",
            "pagerduty",
            ROUTING_KEY,
            f"incident:{incident.pk}",
            MessageStatus.SENT,
        )
        for d in deliveries
    ]
    assert [e.message for e in timeline(incident)] == [
        "Mirrored to PagerDuty: trigger",
        "Mirrored to PagerDuty: acknowledge",
        "Mirrored to PagerDuty: resolve",
    ]


def test_a_drill_is_never_mirrored_to_pagerduty(team, mirrored, committing, declare):
    """A drill mirrored would open a real PagerDuty incident and page people outside it."""
    with mirrored() as pd:
        with committing():
            drill = declare(team, is_drill=True)
        with committing():
            services.incident_acknowledge(incident=drill, actor=None)
        with committing():
            real = declare(team)

    assert {b["dedup_key"] for b in pd.accepted} == {str(real.pk)}
    assert not MirrorDelivery.objects.filter(incident=drill).exists()


def test_a_trigger_that_fails_first_still_reaches_pagerduty_before_acknowledge_and_resolve(
    team, mirrored, declare, clock
):
    with mirrored(fail_first=2) as pd:
        incident = declare(team)
        services.incident_acknowledge(incident=incident, actor=None)
        services.incident_resolve(incident=incident, actor=None)
        deliver_all(clock)

    # Two refusals of the trigger; the acknowledge and the resolve wait for it.
    assert actions(r.json() for r in pd.requests) == [
        "trigger",
        "trigger",
        "trigger",
        "acknowledge",
        "resolve",
    ]
    assert actions(pd.accepted) == ["trigger", "acknowledge", "resolve"]
    trigger, acknowledge, resolve = MirrorDelivery.objects.order_by("pk")
    assert (trigger.status, trigger.attempts) == (MirrorDeliveryStatus.SENT, 3)
    assert "HTTP 500" in trigger.last_error
    # Waiting for the trigger used none of their attempts.
    assert (acknowledge.status, acknowledge.attempts) == (MirrorDeliveryStatus.SENT, 1)
    assert (resolve.status, resolve.attempts) == (MirrorDeliveryStatus.SENT, 1)
    events = timeline(incident)
    assert [e.data.get("error") is not None for e in events] == [True, True, False, False, False]
    assert events[0].message.startswith("PagerDuty trigger failed (attempt 1 of 5), will retry")
    assert "HTTP 500" in events[0].message
    assert events[2].message == "Mirrored to PagerDuty: trigger (after 3 attempts)"
    assert [e.message for e in events[3:]] == [
        "Mirrored to PagerDuty: acknowledge",
        "Mirrored to PagerDuty: resolve",
    ]


def test_a_failure_for_good_is_recorded_and_the_later_events_are_still_sent(
    team, mirrored, declare, clock, settings
):
    settings.OUTBOX_MAX_ATTEMPTS = 3
    with mirrored(fail_first=3) as pd:
        incident = declare(team)
        services.incident_resolve(incident=incident, actor=None)
        deliver_all(clock)

    assert actions(r.json() for r in pd.requests) == ["trigger"] * 3 + ["resolve"]
    assert actions(pd.accepted) == ["resolve"]
    trigger, resolve = MirrorDelivery.objects.order_by("pk")
    assert (trigger.status, trigger.attempts) == (MirrorDeliveryStatus.FAILED, 3)
    assert "HTTP 500" in trigger.last_error
    assert resolve.status == MirrorDeliveryStatus.SENT
    events = timeline(incident)
    assert events[2].message.startswith("PagerDuty trigger failed after 3 attempts; giving up")
    assert events[2].data["gave_up"] is True
    assert events[-1].message == "Mirrored to PagerDuty: resolve"


def test_an_event_pagerduty_refuses_gives_up_at_once_and_the_next_goes_out(
    team, mirrored, declare, clock
):
    receiver = HttpReceiver(default=(202, {"status": "success", "dedup_key": "x"}))
    receiver.replies = [(400, {"status": "invalid event", "errors": ["bad routing key"]})]
    with mirrored(receiver) as pd:
        incident = declare(team)
        services.incident_acknowledge(incident=incident, actor=None)
        deliver_all(clock)

    assert actions(r.json() for r in pd.requests) == ["trigger", "acknowledge"]
    trigger = MirrorDelivery.objects.order_by("pk").first()
    assert (trigger.status, trigger.attempts) == (MirrorDeliveryStatus.FAILED, 1)
    assert timeline(incident)[0].message.startswith(
        "PagerDuty trigger failed after 1 attempt; giving up: HTTP 400"
    )


def test_a_repeat_after_a_crash_keeps_the_dedup_key_and_the_order(team, mirrored, declare, clock):
    with mirrored() as pd:
        incident = declare(team)
        services.incident_acknowledge(incident=incident, actor=None)
        first = MirrorDelivery.objects.order_by("pk").first()
        trigger_message = Message.objects.get(key=mirror_message_key(first.pk))
        # A sender claims the trigger, sends it, and dies before recording the outcome.
        (claimed,) = messages_claim(ids=[trigger_message.pk])
        content = purpose_for(claimed.purpose).prepare(claimed)
        deadline = time.monotonic() + 10
        transport_for("pagerduty")(Envelope(claimed.key, claimed.address, content, deadline))
        # Its lease has not run out: the acknowledge waits for the trigger's outcome.
        outbox_send_due()
        assert actions(pd.accepted) == ["trigger"]
        clock.shift(timedelta(seconds=31))  # past the lease: the sender is presumed dead
        outbox_send_due()
        deliver_all(clock)

    assert actions(pd.accepted) == ["trigger", "trigger", "acknowledge"]
    assert [b["dedup_key"] for b in pd.accepted] == [str(incident.pk)] * 3
    trigger, acknowledge = MirrorDelivery.objects.order_by("pk")
    assert (trigger.status, trigger.attempts) == (MirrorDeliveryStatus.SENT, 2)
    assert acknowledge.status == MirrorDeliveryStatus.SENT
    assert [e.message for e in timeline(incident)] == [
        "Mirrored to PagerDuty: trigger (after 2 attempts)",
        "Mirrored to PagerDuty: acknowledge",
    ]


def test_unreachable_pagerduty_is_recorded_and_sent_later(
    team, mirrored, pagerduty_receiver, declare, clock, settings
):
    with mirrored() as pd:
        closed_url = pd.url
    settings.PAGERDUTY_EVENTS_URL = closed_url  # nothing listens there any more
    incident = declare(team)
    outbox_send_due()
    delivery = MirrorDelivery.objects.get()
    message = Message.objects.get()
    assert delivery.status == MirrorDeliveryStatus.PENDING
    assert "Unreachable" in delivery.last_error
    assert delivery.attempts == 1 and delivery.next_attempt_at == message.due_at > timezone.now()
    with pagerduty_receiver() as pd:
        settings.PAGERDUTY_EVENTS_URL = pd.url
        deliver_all(clock)
    assert actions(pd.accepted) == ["trigger"]
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (MirrorDeliveryStatus.SENT, 2)
    assert timeline(incident)[-1].message == "Mirrored to PagerDuty: trigger (after 2 attempts)"


def test_nothing_is_sent_when_the_change_rolls_back(team, mirrored, declare, clock):
    with mirrored() as pd:
        with pytest.raises(RuntimeError), transaction.atomic():
            declare(team)
            raise RuntimeError("the declaration failed")
        deliver_all(clock)
    assert pd.requests == []
    assert not MirrorDelivery.objects.exists() and not Message.objects.exists()


def test_service_mirror_wins_over_team_mirror_and_no_mirror_sends_nothing(
    team, other_team, pagerduty_receiver, declare, clock, settings
):
    checkout = ServiceFactory(team=team)
    pagerduty_mirror_create(actor=None, team=team, routing_key="TEAM")
    pagerduty_mirror_create(actor=None, team=team, service=checkout, routing_key="SERVICE")
    with pagerduty_receiver() as pd:
        settings.PAGERDUTY_EVENTS_URL = pd.url
        declare(team, services=[checkout])
        declare(team)
        declare(other_team)
        deliver_all(clock)
    assert sorted(b["routing_key"] for b in pd.accepted) == ["SERVICE", "TEAM"]


def test_reopen_triggers_again_and_skipping_acknowledge_still_acknowledges(
    team, mirrored, declare, clock
):
    with mirrored() as pd:
        incident = declare(team)
        services.incident_set_status(incident=incident, to_status="investigating", actor=None)
        services.incident_resolve(incident=incident, actor=None)
        services.incident_reopen(incident=incident, actor=None)
        deliver_all(clock)
    assert actions(pd.accepted) == ["trigger", "acknowledge", "resolve", "trigger"]
    assert {b["dedup_key"] for b in pd.accepted} == {str(incident.pk)}


def test_events_written_before_the_outbox_are_handed_to_it_and_keep_their_order(
    team, mirrored, declare, clock
):
    with mirrored() as pd:
        old = declare(team)
        waiting = declare(team)
        # Written before mirroring went through the outbox: no message carries them.
        Message.objects.all().delete()
        services.incident_acknowledge(incident=waiting, actor=None)  # a new event after it
        outbox_send_due()
        # The acknowledge handed its incident's earlier trigger to the outbox and waited.
        assert actions(pd.accepted) == ["trigger"]
        assert pd.accepted[0]["dedup_key"] == str(waiting.pk)
        assert pagerduty_mirror_sweep() == 0  # the other one is not a minute old yet
        clock.shift(timedelta(minutes=2))
        assert pagerduty_mirror_sweep() == 1
        assert pagerduty_mirror_sweep() == 0  # safe to run twice
        deliver_all(clock)
    assert [(b["event_action"], b["dedup_key"]) for b in pd.accepted] == [
        ("trigger", str(waiting.pk)),
        ("acknowledge", str(waiting.pk)),
        ("trigger", str(old.pk)),
    ]
    assert set(MirrorDelivery.objects.values_list("status", flat=True)) == {
        MirrorDeliveryStatus.SENT
    }
