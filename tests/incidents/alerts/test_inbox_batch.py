"""The Events API inbox applied in batches: one drain claims many waiting events, applies
each key's in arrival order (repeats of an open alert folded into one bump), marks them
applied once, and a key that fails rolls back alone."""

import json
import logging
import threading
import time
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from incidents.alerts.models import Alert, AlertEvent
from incidents.alerts.parsers import events_v2
from incidents.alerts.tasks import alert_inbox_drain, alert_inbox_sweep
from incidents.models import Incident, IncidentStatus, TimelineEventKind
from tests.harness.concurrency import at_once, raised
from tests.incidents.alerts.enqueue import trigger
from tests.incidents.factories import ServiceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def enqueue(django_capture_on_commit_callbacks):
    """``enqueue(body, ...)``: POST events to /v2/enqueue and keep them waiting in the
    inbox (the drain tasks their commits would send are not run)."""

    def send(*bodies):
        with django_capture_on_commit_callbacks(execute=False):
            for body in bodies:
                response = Client().post(
                    "/v2/enqueue", data=json.dumps(body), content_type="application/json"
                )
                assert response.status_code == 202, response.content

    return send


def _ack(key, dedup_key):
    return {"routing_key": key, "event_action": "acknowledge", "dedup_key": dedup_key}


def _resolve(key, dedup_key):
    return {"routing_key": key, "event_action": "resolve", "dedup_key": dedup_key}


def _waiting():
    return AlertEvent.objects.filter(processed_at=None).count()


def test_one_batch_applies_each_keys_trigger_acknowledge_resolve_in_arrival_order(
    make_integration, enqueue
):
    _, key = make_integration(storm_threshold_per_minute=0)
    # One key's lifecycle interleaved with other keys' events, then the key again.
    enqueue(
        trigger(key, dedup_key="db", summary="db down"),
        trigger(key, dedup_key="web-1"),
        trigger(key, dedup_key="db", summary="db still down"),
        _ack(key, "db"),
        _ack(key, "db"),  # acknowledged twice: each applied, nothing else changes
        trigger(key, dedup_key="web-2"),
        trigger(key, dedup_key="db", summary="db down again"),
        trigger(key, dedup_key="web-1"),
        _resolve(key, "db"),
        _resolve(key, "web-2"),
        trigger(key, dedup_key="db", summary="db down, next day"),
    )
    assert _waiting() == 11

    assert alert_inbox_drain.delay().get() == 11  # one batch (the default holds 500)

    assert _waiting() == 0
    first, second = Alert.objects.filter(dedup_key="db").order_by("id")
    # trigger, repeat, acknowledge twice, repeat, resolve: one alert, closed, count 3.
    assert (first.count, first.is_open, first.status) == (3, False, "resolved")
    incident = first.incident
    assert incident.status == IncidentStatus.RESOLVED
    kinds = list(incident.timeline.order_by("id").values_list("kind", flat=True))
    assert kinds.index(TimelineEventKind.DECLARED) < kinds.index(TimelineEventKind.ACKNOWLEDGED)
    assert kinds.index(TimelineEventKind.ACKNOWLEDGED) < kinds.index(TimelineEventKind.RESOLVED)
    assert incident.acknowledged_at <= incident.resolved_at
    # The trigger after the resolve, in the same batch, opened a new incident.
    assert (second.count, second.is_open, second.summary) == (1, True, "db down, next day")
    assert second.incident.status == IncidentStatus.TRIGGERED
    assert second.incident_id != incident.pk
    # Each event landed on the alert that was open when it came.
    db_events = AlertEvent.objects.filter(dedup_key="db").order_by("id")
    assert [e.alert_id for e in db_events] == [first.pk] * 6 + [second.pk]
    # The other keys were applied in the same batch.
    assert Alert.objects.get(dedup_key="web-1").count == 2
    assert not Alert.objects.get(dedup_key="web-2").is_open
    assert Incident.objects.count() == 4
    assert incident.timeline.filter(kind=TimelineEventKind.ACKNOWLEDGED).count() == 1


def test_repeats_of_one_key_fold_into_one_alert_with_their_count(make_integration, enqueue):
    _, key = make_integration(storm_threshold_per_minute=0)
    enqueue(trigger(key, dedup_key="old", summary="old 0"))
    assert alert_inbox_drain.delay().get() == 1  # "old" is open before the batch
    bodies = []
    for n in range(40):
        bodies.append(trigger(key, dedup_key="new", summary=f"new {n}"))
        if n % 2:
            bodies.append(trigger(key, dedup_key="old", summary=f"old {n}"))
    enqueue(*bodies)

    assert alert_inbox_drain.delay().get() == 60

    new = Alert.objects.get(dedup_key="new")
    assert new.count == 40
    assert new.payload["payload"]["summary"] == "new 39"  # the latest event's
    assert new.summary == "new 0"  # the event that opened it
    assert new.last_seen >= new.first_seen
    old = Alert.objects.get(dedup_key="old")
    assert old.count == 21
    assert old.payload["payload"]["summary"] == "old 39"
    # One incident each: the repeats paged nobody again.
    assert Incident.objects.filter(dedup_key="new").count() == 1
    assert Incident.objects.filter(dedup_key="old").count() == 1
    assert set(AlertEvent.objects.filter(dedup_key="new").values_list("alert_id", flat=True)) == {
        new.pk
    }


def test_applying_a_batch_of_repeats_costs_the_same_statements_whatever_its_size(
    make_integration, enqueue
):
    _, key = make_integration(storm_threshold_per_minute=0)
    enqueue(trigger(key, dedup_key="a"), trigger(key, dedup_key="b"))
    alert_inbox_drain.delay().get()
    statements = []
    for size in (10, 300):
        enqueue(*[trigger(key, dedup_key="ab"[n % 2]) for n in range(size)])
        with CaptureQueriesContext(connection) as queries:
            assert alert_inbox_drain.delay().get() == size
        statements.append(len(queries))
    assert statements[0] == statements[1], statements
    assert Alert.objects.get(dedup_key="a").count == 1 + 5 + 150


def test_a_poisoned_key_stays_waiting_and_the_other_keys_are_applied(
    make_integration, enqueue, caplog
):
    integration, key = make_integration(storm_threshold_per_minute=0)
    enqueue(trigger(key, dedup_key="poisoned"), trigger(key, dedup_key="fine-1"))
    # An event stored that no longer reads as an Events API event (say, written by an
    # older version): its key cannot be applied past it.
    AlertEvent.objects.create(
        integration=integration,
        action="trigger",
        dedup_key="poisoned",
        payload={"event_action": "trigger", "dedup_key": "poisoned"},  # no payload
        received_at=timezone.now(),
    )
    enqueue(trigger(key, dedup_key="fine-2"), _resolve(key, "poisoned"), _ack(key, "fine-1"))

    with caplog.at_level(logging.ERROR, logger="incidents.alerts.services.inbox"):
        assert alert_inbox_drain.delay().get() == 3
    assert f"{integration.pk}/poisoned" in caplog.text
    assert caplog.text.count("Could not apply") == 1  # tried once in this drain, not again

    # The poisoned key's events, before and after the bad one, all still wait: applying
    # the later ones first would break their order. Nothing of it was applied.
    assert set(
        AlertEvent.objects.filter(processed_at=None).values_list("dedup_key", flat=True)
    ) == {"poisoned"}
    assert AlertEvent.objects.filter(processed_at=None).count() == 3
    assert not Alert.objects.filter(dedup_key="poisoned").exists()
    assert Alert.objects.get(dedup_key="fine-1").status == "acknowledged"
    assert Alert.objects.get(dedup_key="fine-2").is_open
    # A later drain tries it again, once, and stops.
    assert alert_inbox_drain.delay().get() == 0
    assert _waiting() == 3


def test_a_key_failing_after_it_wrote_rolls_back_alone(make_integration, team, other_team, enqueue):
    service = ServiceFactory(team=team)
    broken, broken_key = make_integration(name="broken", service=service)
    _, fine_key = make_integration(name="fine")
    # The broken integration's service has moved to another team: its new alert is
    # inserted, then declaring the incident fails.
    type(service).objects.filter(pk=service.pk).update(team=other_team)
    enqueue(
        trigger(fine_key, dedup_key="before"),
        trigger(broken_key, dedup_key="broken"),
        trigger(fine_key, dedup_key="after"),
    )

    assert alert_inbox_drain.delay().get() == 2

    assert not Alert.objects.filter(integration=broken).exists()  # its insert rolled back
    assert AlertEvent.objects.get(processed_at=None).dedup_key == "broken"
    assert set(Incident.objects.values_list("dedup_key", flat=True)) == {"before", "after"}


def test_the_sweep_applies_lost_events_in_batches(make_integration, enqueue, settings):
    settings.ALERT_INBOX_BATCH_EVENTS = 7
    _, key = make_integration(storm_threshold_per_minute=0)
    enqueue(*[trigger(key, dedup_key=f"k{n % 4}") for n in range(30)])
    AlertEvent.objects.update(received_at=timezone.now() - timedelta(minutes=2))

    assert alert_inbox_sweep.delay().get() == 30

    assert sorted(Alert.objects.values_list("count", flat=True)) == [7, 7, 8, 8]


def test_a_drain_out_of_time_hands_the_rest_over_to_a_new_drain_task(
    make_integration, enqueue, settings
):
    settings.ALERT_INBOX_DRAIN_SECONDS = 0  # out of time after its first batch
    _, key = make_integration(storm_threshold_per_minute=0)
    enqueue(*[trigger(key, dedup_key=f"k{n % 3}") for n in range(23)])

    # This task applies one batch; the tasks it hands over to (run inline here) the rest.
    assert alert_inbox_drain.delay(limit=5).get() == 5

    assert _waiting() == 0
    assert sorted(Alert.objects.values_list("count", flat=True)) == [7, 8, 8]


def _body(action, dedup_key, summary):
    body = {"event_action": action, "dedup_key": dedup_key}
    if action == "trigger":
        body["payload"] = {"summary": summary, "source": "bench", "severity": "error"}
    return body


def _store(integration, body, received_at):
    """Store an event as /v2/enqueue does, its task lost."""
    event = events_v2.parse_event(body)
    AlertEvent.objects.create(
        integration=integration,
        action=event.action,
        dedup_key=event.dedup_key,
        payload=event.payload,
        received_at=received_at,
    )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("second", ["drain", "sweep"])
def test_two_workers_racing_apply_every_event_once_in_order(make_integration, settings, second):
    """Two workers drain one inbox in small batches at the same moment: a drain task
    (waits for a key another worker holds) against another drain or the beat sweep
    (skips such a key)."""
    settings.ALERT_INBOX_BATCH_EVENTS = 25
    integration, _ = make_integration(rate_limit_per_minute=0, storm_threshold_per_minute=0)
    received = timezone.now() - timedelta(minutes=2)  # old enough for the sweep
    keys = 24
    lifecycle = ["trigger"] * 3 + ["acknowledge", "trigger", "resolve", "trigger", "trigger"]
    stored = 0
    for step, action in enumerate(lifecycle):
        for k in range(keys):
            _store(integration, _body(action, f"host-{k}", f"host {k} step {step}"), received)
            _store(integration, _body("trigger", "hot", "hot"), received)  # repeated throughout
            stored += 2

    def drain():
        return alert_inbox_drain.apply().result

    def sweep():
        return alert_inbox_sweep.apply().result

    applied = at_once(drain, drain if second == "drain" else sweep)
    assert raised(applied) == []
    leftover = alert_inbox_drain.apply().result  # what a sweep skipped, if anything
    assert sum(applied) + leftover == stored  # every event applied, none twice
    assert not AlertEvent.objects.filter(processed_at=None).exists()
    assert Alert.objects.get(dedup_key="hot").count == keys * len(lifecycle)
    for k in range(keys):
        first, second_alert = Alert.objects.filter(dedup_key=f"host-{k}").order_by("id")
        # In order: 3 triggers, acknowledge, repeat, resolve (closes it and resolves the
        # incident), then two triggers open a new alert and incident.
        assert (first.count, first.is_open) == (4, False)
        assert first.incident.status == IncidentStatus.RESOLVED
        assert first.incident.acknowledged_at is not None
        assert (second_alert.count, second_alert.is_open) == (2, True)
        assert second_alert.incident.status == IncidentStatus.TRIGGERED
        events = AlertEvent.objects.filter(dedup_key=f"host-{k}").order_by("id")
        assert [e.alert_id for e in events] == [first.pk] * 6 + [second_alert.pk] * 2
    assert Incident.objects.count() == 2 * keys + 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_keys_later_events_wait_while_another_worker_holds_an_earlier_one(make_integration):
    """Another worker has claimed the key's trigger (its row is locked: say a sweep that
    could not take the key's lock and will commit without applying it). A drain that
    finds the key's resolve must not apply it first: it waits, then applies both in
    order."""
    integration, _ = make_integration(storm_threshold_per_minute=0)
    received = timezone.now()
    _store(integration, _body("trigger", "db", "db down"), received)
    _store(integration, _body("resolve", "db", ""), received)
    earlier = AlertEvent.objects.filter(dedup_key="db").order_by("id").first()
    claimed = threading.Event()

    def other_worker():
        with transaction.atomic():
            AlertEvent.objects.select_for_update().get(pk=earlier.pk)
            claimed.set()
            time.sleep(0.5)
        return 0

    def drain():
        assert claimed.wait(timeout=10)
        return alert_inbox_drain.apply().result

    outcomes = at_once(other_worker, drain)
    assert raised(outcomes) == []
    assert outcomes[1] == 2
    alert = Alert.objects.get(dedup_key="db")
    assert (alert.is_open, alert.status) == (False, "resolved")  # trigger, then resolve
    assert alert.incident.status == IncidentStatus.RESOLVED
