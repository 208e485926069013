"""PagerDuty-compatible Events API v2 at POST /v2/enqueue."""

import json
import threading
from datetime import UTC, datetime, timedelta

import pdpyras
import pytest
import requests
import time_machine
from django.db import connection
from django.test import Client, TestCase
from django.utils import timezone

from common.errors import RateLimited
from incidents import services
from incidents.alerts.models import Alert, AlertEvent
from incidents.alerts.parsers import events_v2
from incidents.alerts.services.inbox import alert_events_process
from incidents.alerts.tasks import alert_inbox_sweep
from incidents.models import Incident, IncidentStatus

pytestmark = pytest.mark.django_db


def post(body, client=None):
    """POST an event, then run what its commit would start (the task that applies it;
    Celery is eager here, see ``make_integration``)."""
    client = client or Client()
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post("/v2/enqueue", data=data, content_type="application/json")


def trigger(key, dedup_key=None, summary="Disk full on db1", severity="critical", **extra):
    body = {
        "routing_key": key,
        "event_action": "trigger",
        "payload": {"summary": summary, "source": "db1", "severity": severity},
        **extra,
    }
    if dedup_key is not None:
        body["dedup_key"] = dedup_key
    return body


@pytest.mark.django_db(transaction=True)
def test_pdpyras_session_triggers_acknowledges_and_resolves(live_server, make_integration):
    _, key = make_integration()
    session = pdpyras.EventsAPISession(key)
    session.url = live_server.url  # the only change a PagerDuty script needs

    dedup_key = session.trigger(
        "Checkout latency above 2 s",
        "checkout-1",
        dedup_key="checkout-latency",
        severity="error",
        custom_details={"p99_ms": 2300},
        links=[{"href": "https://grafana.example/d/1", "text": "dashboard"}],
    )
    assert dedup_key == "checkout-latency"
    incident = Incident.objects.get()
    assert incident.status == IncidentStatus.TRIGGERED
    assert incident.title == "Checkout latency above 2 s"
    assert incident.severity.name == "SEV2"  # error → SEV2
    assert incident.source == "events_v2"
    assert incident.dedup_key == "checkout-latency"

    # A repeat is the same alert, counted, on the same incident.
    assert session.trigger("Checkout latency above 2 s", "checkout-1", dedup_key=dedup_key)
    assert Incident.objects.count() == 1
    alert = Alert.objects.get()
    assert (alert.count, alert.incident_id) == (2, incident.pk)
    assert alert.last_seen >= alert.first_seen

    session.acknowledge(dedup_key)
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.ACKNOWLEDGED

    session.resolve(dedup_key)
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.RESOLVED
    alert.refresh_from_db()
    assert not alert.is_open

    # After resolution the same key opens a new incident.
    session.trigger("Checkout latency above 2 s", "checkout-1", dedup_key=dedup_key)
    assert Incident.objects.count() == 2
    assert AlertEvent.objects.count() == 5
    assert "routing_key" not in AlertEvent.objects.first().payload


def test_accepted_event_answers_like_pagerduty(make_integration):
    _, key = make_integration()
    response = post(trigger(key, dedup_key="k1"))
    assert response.status_code == 202
    assert response.json() == {"status": "success", "message": "Event processed", "dedup_key": "k1"}


def test_trigger_without_dedup_key_retried_after_timeout_opens_one_incident(make_integration):
    _, key = make_integration()
    first = post(trigger(key)).json()["dedup_key"]
    second = post(trigger(key)).json()["dedup_key"]
    assert first == second
    assert Incident.objects.count() == 1
    assert Alert.objects.get().count == 2


def test_severity_mapping_is_editable_per_integration(make_integration):
    _, key = make_integration(severity_mapping={"warning": "SEV1"})
    post(trigger(key, dedup_key="w", severity="warning"))
    assert Incident.objects.get().severity.name == "SEV1"


def test_default_severity_mapping(make_integration):
    _, key = make_integration()
    for index, severity in enumerate(["critical", "error", "warning", "info"]):
        post(trigger(key, dedup_key=f"k{index}", severity=severity))
    names = dict(Alert.objects.values_list("source_severity", "severity__name"))
    assert names == {"critical": "SEV1", "error": "SEV2", "warning": "SEV3", "info": "SEV4"}


def test_incident_resolved_by_a_person_lets_the_key_open_a_new_incident(make_integration):
    _, key = make_integration()
    post(trigger(key, dedup_key="disk"))
    services.incident_resolve(incident=Incident.objects.get(), actor=None)
    post(trigger(key, dedup_key="disk"))
    assert Incident.objects.count() == 2
    assert Alert.objects.filter(is_open=True).count() == 1


def test_acknowledge_and_resolve_of_an_unknown_key_are_accepted_and_kept(make_integration):
    _, key = make_integration()
    for action in ("acknowledge", "resolve"):
        response = post({"routing_key": key, "event_action": action, "dedup_key": "nothing"})
        assert response.status_code == 202
    assert AlertEvent.objects.filter(alert=None).count() == 2
    assert not Incident.objects.exists()


def test_resolve_event_with_auto_resolve_off_keeps_incident_open(make_integration):
    _, key = make_integration(auto_resolve=False)
    post(trigger(key, dedup_key="k"))
    post({"routing_key": key, "event_action": "resolve", "dedup_key": "k"})
    assert Incident.objects.get().status == IncidentStatus.TRIGGERED
    post(trigger(key, dedup_key="k"))  # fires again: same incident
    assert Incident.objects.count() == 1


VALID_PAYLOAD = {"summary": "s", "source": "h", "severity": "info"}


INVALID = [
    ("not json", "{not json", "The body is not valid JSON."),
    ("array", [1, 2], "The event must be a JSON object."),
    ("no routing key", {"event_action": "trigger", "payload": VALID_PAYLOAD}, "'routing_key'"),
    ("routing key not a string", {"routing_key": 5, "event_action": "trigger"}, "'routing_key'"),
    ("no event_action", {"payload": VALID_PAYLOAD}, "'event_action'"),
    ("bad event_action", {"event_action": "explode", "payload": VALID_PAYLOAD}, "'event_action'"),
    ("trigger without payload", {"event_action": "trigger"}, "'payload' is missing"),
    ("payload not an object", {"event_action": "trigger", "payload": "x"}, "'payload' is missing"),
    (
        "no summary",
        {"event_action": "trigger", "payload": {"source": "h", "severity": "info"}},
        "'payload.summary'",
    ),
    (
        "blank summary",
        {"event_action": "trigger", "payload": {**VALID_PAYLOAD, "summary": "  "}},
        "'payload.summary'",
    ),
    (
        "summary too long",
        {"event_action": "trigger", "payload": {**VALID_PAYLOAD, "summary": "x" * 1025}},
        "at most 1024",
    ),
    (
        "no source",
        {"event_action": "trigger", "payload": {"summary": "s", "severity": "info"}},
        "'payload.source'",
    ),
    (
        "no severity",
        {"event_action": "trigger", "payload": {"summary": "s", "source": "h"}},
        "'payload.severity'",
    ),
    (
        "bad severity",
        {"event_action": "trigger", "payload": {**VALID_PAYLOAD, "severity": "SEV1"}},
        "'payload.severity'",
    ),
    (
        "bad timestamp",
        {"event_action": "trigger", "payload": {**VALID_PAYLOAD, "timestamp": "yesterday"}},
        "'payload.timestamp'",
    ),
    (
        "component not a string",
        {"event_action": "trigger", "payload": {**VALID_PAYLOAD, "component": 3}},
        "'payload.component'",
    ),
    (
        "dedup_key not a string",
        {"event_action": "trigger", "dedup_key": 7, "payload": VALID_PAYLOAD},
        "'dedup_key' must be a string",
    ),
    (
        "dedup_key too long",
        {"event_action": "trigger", "dedup_key": "k" * 256, "payload": VALID_PAYLOAD},
        "at most 255",
    ),
    ("acknowledge without dedup_key", {"event_action": "acknowledge"}, "required"),
    ("resolve with blank dedup_key", {"event_action": "resolve", "dedup_key": " "}, "required"),
    (
        "links not a list",
        {"event_action": "trigger", "payload": VALID_PAYLOAD, "links": {"href": "x"}},
        "'links' must be a list",
    ),
    (
        "link without href",
        {"event_action": "trigger", "payload": VALID_PAYLOAD, "links": [{"text": "x"}]},
        "'links[0]'",
    ),
    (
        "image without src",
        {"event_action": "trigger", "payload": VALID_PAYLOAD, "images": [{"href": "x"}]},
        "'images[0]'",
    ),
]


@pytest.mark.parametrize(
    ("body", "expected"), [(b, e) for _, b, e in INVALID], ids=[name for name, _, _ in INVALID]
)
def test_invalid_event_gets_the_documented_400(make_integration, body, expected):
    _, key = make_integration()
    if isinstance(body, dict) and "routing_key" not in body and expected != "'routing_key'":
        body = {"routing_key": key, **body}
    response = post(body)
    assert response.status_code == 400
    answer = response.json()
    assert answer["status"] == "invalid event"
    assert answer["message"] == "Event object is invalid"
    assert any(expected in error for error in answer["errors"]), answer
    assert not Incident.objects.exists()
    assert not AlertEvent.objects.exists()


def test_unknown_routing_key_gets_a_clear_400(make_integration):
    make_integration()
    response = post(trigger("0" * 32))
    assert response.status_code == 400
    assert response.json()["status"] == "invalid event"
    assert response.json()["message"] == "Unknown routing key"


def test_disabled_integration_key_is_unknown(make_integration):
    _, key = make_integration(enabled=False)
    assert post(trigger(key)).json()["message"] == "Unknown routing key"


def test_get_is_not_allowed():
    response = Client().get("/v2/enqueue")
    assert response.status_code == 405
    assert response.json()["status"] == "invalid event"


def test_rate_limit_answers_429_with_retry_after(make_integration):
    _, key = make_integration(rate_limit_per_minute=3)
    with time_machine.travel(datetime(2026, 3, 2, 10, 15, 40, tzinfo=UTC), tick=False):
        for index in range(3):
            assert post(trigger(key, dedup_key=f"k{index}")).status_code == 202
        response = post(trigger(key, dedup_key="k4"))
    assert response.status_code == 429
    assert response["Retry-After"] == "20"
    assert response.json()["status"] == "throttle event"
    with time_machine.travel(datetime(2026, 3, 2, 10, 16, 1, tzinfo=UTC), tick=False):
        assert post(trigger(key, dedup_key="k4")).status_code == 202


def test_alert_storm_groups_new_alerts_into_one_incident(make_integration):
    _, key = make_integration(storm_threshold_per_minute=3)
    with time_machine.travel(datetime(2026, 3, 2, 10, 0, tzinfo=UTC), tick=False):
        for index in range(8):
            assert post(trigger(key, dedup_key=f"host-{index}")).status_code == 202
    incidents = list(Incident.objects.order_by("id"))
    assert len(incidents) == 4  # three incidents, then one storm for the other five
    storm = incidents[-1]
    assert storm.title.startswith("Alert storm from")
    assert storm.alerts.count() == 5
    assert all(a.storm for a in storm.alerts.all())
    # A repeat of a stormed alert still deduplicates onto the storm.
    post(trigger(key, dedup_key="host-7"))
    assert Incident.objects.count() == 4
    # When every stormed alert has resolved, the storm resolves.
    for index in range(3, 8):
        post({"routing_key": key, "event_action": "resolve", "dedup_key": f"host-{index}"})
    storm.refresh_from_db()
    assert storm.status == IncidentStatus.RESOLVED


def test_storm_window_is_per_minute(make_integration):
    _, key = make_integration(storm_threshold_per_minute=2)
    for minute in range(3):
        with time_machine.travel(datetime(2026, 3, 2, 10, minute * 2, tzinfo=UTC), tick=False):
            post(trigger(key, dedup_key=f"a{minute}"))
            post(trigger(key, dedup_key=f"b{minute}"))
    assert Incident.objects.count() == 6
    assert not Alert.objects.filter(storm=True).exists()


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
        # Applying a repeat is a fixed number of statements too.
        with django_assert_max_num_queries(10):
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


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_rate_limit_counts_the_events_of_every_database_session(make_integration):
    """Each session (web thread, process or host) counts in its own row of the window,
    so the limit holds for their sum."""
    from incidents.alerts.models import IngestRateWindow
    from incidents.alerts.services.inbox import alert_event_receive

    _, key = make_integration(rate_limit_per_minute=4)
    event = events_v2.parse_event(trigger(key, dedup_key="shared"))
    outcomes = {"main": [], "other": []}

    def receive(who):
        try:
            alert_event_receive(routing_key=key, event=event)
            outcomes[who].append(202)
        except RateLimited:
            outcomes[who].append(429)

    def other_session(count):
        try:
            for _ in range(count):
                receive("other")
        finally:
            connection.close()

    with time_machine.travel(datetime(2026, 3, 2, 10, 15, 10, tzinfo=UTC), tick=False):
        receive("main")
        receive("main")
        helper = threading.Thread(target=other_session, args=(3,))
        helper.start()
        helper.join()
        receive("main")
    assert outcomes == {"main": [202, 202, 429], "other": [202, 202, 429]}
    windows = IngestRateWindow.objects.all()
    assert len(windows) == 2  # one row per session
    assert sum(window.count for window in windows) == 6
    assert AlertEvent.objects.count() == 4


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
def test_concurrent_new_alerts_during_a_storm_share_one_storm_incident(
    live_server, make_integration
):
    integration, key = make_integration(rate_limit_per_minute=0, storm_threshold_per_minute=2)
    url = f"{live_server.url}/v2/enqueue"
    senders, per_sender = 6, 4
    barrier = threading.Barrier(senders)
    answers = []

    def send(sender):
        barrier.wait()
        for index in range(per_sender):
            body = trigger(key, dedup_key=f"host-{sender}-{index}")
            answers.append(requests.post(url, json=body, timeout=30).status_code)

    threads = [threading.Thread(target=send, args=(n,)) for n in range(senders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == [202] * senders * per_sender
    assert Alert.objects.count() == senders * per_sender
    storms = Incident.objects.filter(dedup_key=f"storm:{integration.pk}")
    assert storms.count() == 1
    assert (
        Alert.objects.filter(storm=True, incident=storms.get()).count()
        == Alert.objects.filter(storm=True).count()
    )
    assert Alert.objects.filter(incident=None).count() == 0


def test_nul_character_is_an_invalid_event_not_a_crash(make_integration):
    _, key = make_integration()
    response = post(trigger(key, dedup_key="a\u0000b"))
    assert response.status_code == 400
    assert response.json()["errors"] == ["'dedup_key' contains a NUL character (\\u0000)."]
    body = trigger(key, dedup_key="k")
    body["payload"]["custom_details"] = {"lines": ["ok", "bad\u0000"]}
    response = post(body)
    assert response.status_code == 400
    assert "payload.custom_details.lines[1]" in response.json()["errors"][0]
    # An escaped backslash followed by "u0000" is ordinary text.
    assert post(trigger(key, dedup_key="k", summary="path C:\\u0000")).status_code == 202


def test_json_nested_too_deeply_is_an_invalid_event():
    response = post("[" * 100_000 + "]" * 100_000)
    assert response.status_code == 400
    assert response.json()["errors"] == ["The body is not valid JSON."]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_sweeps_apply_each_event_once(make_integration):
    from django.db import connections

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
    barrier = threading.Barrier(2)
    applied = []

    def sweep():
        try:
            barrier.wait()
            applied.append(alert_inbox_sweep.apply().result)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
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
