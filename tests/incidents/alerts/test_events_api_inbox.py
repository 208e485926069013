"""Events API v2 inbox: the request only stores the event (a fixed number of statements);
its task, or the inbox sweep when the task was lost, applies it once and in arrival order."""

import json
import threading
from datetime import UTC, datetime, timedelta

import pytest
import requests
import time_machine
from django.db import connection
from django.test import Client
from django.utils import timezone

from incidents.alerts.models import Alert, AlertEvent
from incidents.alerts.parsers import events_v2
from incidents.alerts.services.inbox import alert_events_process
from incidents.alerts.tasks import alert_inbox_sweep
from incidents.models import Incident, IncidentStatus
from tests.harness.concurrency import at_once, raised
from tests.incidents.alerts.enqueue import post, trigger

pytestmark = pytest.mark.django_db


def test_enqueue_stores_the_event_in_a_fixed_number_of_queries(
    make_integration, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    _, key = make_integration()
    post(trigger(key, dedup_key="hot"))
    body = json.dumps(trigger(key, dedup_key="hot"))
    for _ in range(3):
        # The request: on PostgreSQL one statement on psycopg's own cursor, which
        # Django's counter does not see (counted by the next test); elsewhere the
        # integration lookup, the rate-limit upsert and the insert. Applying the event is
        # the task's, sent on commit.
        statements = 0 if connection.vendor == "postgresql" else 3
        with (
            django_capture_on_commit_callbacks(execute=False) as callbacks,
            django_assert_max_num_queries(statements),
        ):
            response = Client().post("/v2/enqueue", data=body, content_type="application/json")
        assert response.status_code == 202
        assert len(callbacks) == 1
        # Applying is a fixed number of statements per batch too (the claim, the key's
        # lock, the order check, the integrations, the key's savepoint and bump, the
        # mark, and the round that finds nothing left); it does not grow with the
        # batch (test_inbox_batch.py).
        with django_assert_max_num_queries(14):
            callbacks[0]()
    assert Alert.objects.get().count == 4
    assert not AlertEvent.objects.filter(processed_at=None).exists()


@pytest.mark.postgres
def test_enqueue_is_one_prepared_statement_per_event_on_postgresql(
    make_integration, django_assert_num_queries
):
    _, key = make_integration()

    def executions() -> list[int]:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT generic_plans + custom_plans FROM pg_prepared_statements "
                "WHERE NOT from_sql AND statement LIKE %s",
                ["%INSERT INTO%alertevent%"],
            )
            return [row[0] for row in cursor.fetchall()]

    before = executions() or [0]  # prepared by an earlier test on this connection, or not
    with django_assert_num_queries(0):
        for index in range(4):
            response = Client().post(
                "/v2/enqueue",
                data=json.dumps(trigger(key, dedup_key=f"k{index}")),
                content_type="application/json",
            )
            assert response.status_code == 202
    # Prepared once on this connection and executed once per event: the lookup, the
    # rate-limit count and the insert are one statement.
    assert executions() == [before[0] + 4]
    assert AlertEvent.objects.filter(processed_at=None).count() == 4
    # Django's own queries stay unprepared (its default, for connection poolers).
    assert connection.connection.prepare_threshold is None


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_enqueue_prepares_again_when_the_session_forgot_its_statement(make_integration):
    """A pooler resetting the session (DISCARD ALL) drops prepared statements."""
    _, key = make_integration()
    assert post(trigger(key, dedup_key="before")).status_code == 202
    with connection.cursor() as cursor:
        cursor.execute("DEALLOCATE ALL")
    assert post(trigger(key, dedup_key="after")).status_code == 202
    assert set(AlertEvent.objects.values_list("dedup_key", flat=True)) == {"before", "after"}


def test_event_whose_task_was_lost_is_applied_by_the_inbox_sweep(
    make_integration, django_capture_on_commit_callbacks
):
    _, key = make_integration()
    arrived = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    with time_machine.travel(arrived, tick=False):
        with django_capture_on_commit_callbacks(execute=False):  # the task never runs
            response = Client().post(
                "/v2/enqueue",
                data=json.dumps(trigger(key, dedup_key="lost")),
                content_type="application/json",
            )
        assert response.status_code == 202
        stored = AlertEvent.objects.get()
        assert stored.processed_at is None and stored.alert is None
        assert not Incident.objects.exists()
        # Too recent for the sweep: its task may still be on its way.
        assert alert_inbox_sweep.delay().get() == 0
    with time_machine.travel(arrived + timedelta(seconds=31), tick=False):
        assert alert_inbox_sweep.delay().get() == 1
        assert alert_inbox_sweep.delay().get() == 0  # applied once
    incident = Incident.objects.get()
    assert incident.dedup_key == "lost"
    stored.refresh_from_db()
    assert stored.processed_at is not None
    assert stored.alert == Alert.objects.get(incident=incident)
    # The late task, if it ever comes, does nothing.
    assert alert_events_process(event_id=stored.pk) == 0
    assert Alert.objects.get().count == 1


def test_events_of_one_key_are_applied_in_arrival_order(
    make_integration, django_capture_on_commit_callbacks
):
    _, key = make_integration()
    actions = [
        trigger(key, dedup_key="ordered"),
        {"routing_key": key, "event_action": "acknowledge", "dedup_key": "ordered"},
        {"routing_key": key, "event_action": "resolve", "dedup_key": "ordered"},
    ]
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        for body in actions:
            response = Client().post(
                "/v2/enqueue", data=json.dumps(body), content_type="application/json"
            )
            assert response.status_code == 202
    assert len(callbacks) == 3
    resolve = AlertEvent.objects.get(action="resolve")
    # A worker picks the resolve first (say the trigger's task is slow or lost): the
    # key's earlier events are applied first, in arrival order.
    assert alert_events_process(event_id=resolve.pk) == 3
    for callback in callbacks:  # the drain tasks then find nothing left
        callback()
    incident = Incident.objects.get()
    assert incident.status == IncidentStatus.RESOLVED
    assert incident.acknowledged_at is not None
    events = list(AlertEvent.objects.order_by("id"))
    assert [e.action for e in events] == ["trigger", "acknowledge", "resolve"]
    assert all(e.alert_id == events[0].alert_id for e in events)
    assert events[0].processed_at <= events[1].processed_at <= events[2].processed_at
    assert not Alert.objects.get().is_open


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_same_event_sent_concurrently_creates_one_incident(live_server, make_integration):
    _, key = make_integration(rate_limit_per_minute=0)
    url = f"{live_server.url}/v2/enqueue"
    rounds, senders = 5, 4
    for round_ in range(rounds):
        barrier = threading.Barrier(senders)
        answers = []

        def send(round_=round_, barrier=barrier, answers=answers):
            body = trigger(key, dedup_key=f"race-{round_}")
            barrier.wait()
            answers.append(requests.post(url, json=body, timeout=30).status_code)

        threads = [threading.Thread(target=send) for _ in range(senders)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert answers == [202] * senders
    assert Incident.objects.count() == rounds
    for round_ in range(rounds):
        alert = Alert.objects.get(dedup_key=f"race-{round_}")
        assert alert.count == senders
        assert alert.events.count() == senders


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_sweeps_apply_each_event_once(make_integration):
    integration, _ = make_integration(rate_limit_per_minute=0, storm_threshold_per_minute=0)
    keys, repeats = 12, 3
    received = timezone.now() - timedelta(minutes=2)
    # What the inbox holds after lost tasks: each key triggered three times (interleaved
    # with the other keys), then half of the keys resolved.
    bodies = [
        trigger("-", dedup_key=f"host-{k}", summary=f"host {k} down")
        for _ in range(repeats)
        for k in range(keys)
    ] + [{"event_action": "resolve", "dedup_key": f"host-{k}"} for k in range(0, keys, 2)]
    for body in bodies:
        body.pop("routing_key", None)
        event = events_v2.parse_event(body)
        AlertEvent.objects.create(
            integration=integration,
            action=event.action,
            dedup_key=event.dedup_key,
            payload=event.payload,
            received_at=received,
        )

    def sweep():
        return alert_inbox_sweep.apply().result

    applied = at_once(sweep, sweep)
    assert raised(applied) == []
    assert sum(applied) == len(bodies)  # every event applied, none twice
    assert not AlertEvent.objects.filter(processed_at=None).exists()
    assert Incident.objects.count() == keys
    for k in range(keys):
        alert = Alert.objects.get(dedup_key=f"host-{k}")
        assert alert.count == repeats
        assert alert.is_open == (k % 2 == 1)
        assert alert.incident.status == (
            IncidentStatus.RESOLVED if k % 2 == 0 else IncidentStatus.TRIGGERED
        )
