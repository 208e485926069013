"""PagerDuty Events API v1 at POST /generic/2010-04-15/create_event.json: what a v1
client (pypd's ``Event``) sends and gets back, through the same inbox as /v2/enqueue."""

import json
from datetime import UTC, datetime

import pypd
import pytest
import time_machine
from django.test import Client, TestCase

from incidents.alerts.models import Alert, AlertEvent
from incidents.alerts.parsers.events import MAX_EVENT_BYTES
from incidents.models import Incident, IncidentStatus
from tests.incidents.alerts.enqueue import post, trigger

pytestmark = pytest.mark.django_db

URL = "/generic/2010-04-15/create_event.json"


def post_v1(body):
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    with TestCase.captureOnCommitCallbacks(execute=True):
        return Client().post(URL, data=data, content_type="application/json")


@pytest.fixture
def pypd_event(live_server, monkeypatch):
    """pypd's v1 Event, pointed at the live server (its only PagerDuty-specific part)."""
    monkeypatch.setattr(pypd.Event, "base_url", f"{live_server.url}{URL}")
    return pypd.Event


@pytest.mark.django_db(transaction=True)
def test_pypd_v1_event_triggers_acknowledges_and_resolves(pypd_event, make_integration):
    _, key = make_integration()
    answer = pypd_event.create(
        data={
            "service_key": key,
            "event_type": "trigger",
            "incident_key": "db1/disk",
            "description": "Disk full on db1",
            "client": "Nagios",
            "client_url": "https://nagios.example/db1",
            "details": {"free_mb": 12},
            "contexts": [{"type": "link", "href": "https://grafana.example/d/1", "text": "dash"}],
        }
    )
    assert answer == {
        "status": "success",
        "message": "Event processed",
        "incident_key": "db1/disk",
    }
    incident = Incident.objects.get()
    assert (incident.title, incident.status, incident.dedup_key) == (
        "Disk full on db1",
        IncidentStatus.TRIGGERED,
        "db1/disk",
    )
    alert = Alert.objects.get()
    assert alert.source == "Nagios"
    assert alert.payload["payload"]["custom_details"] == {"free_mb": 12}
    assert alert.payload["links"] == [{"href": "https://grafana.example/d/1", "text": "dash"}]
    assert key not in json.dumps(alert.payload)  # the service key is a secret

    # A repeat is the same alert, counted.
    pypd_event.create(
        data={
            "service_key": key,
            "event_type": "trigger",
            "incident_key": "db1/disk",
            "description": "Disk full on db1",
        }
    )
    assert Incident.objects.count() == 1
    assert Alert.objects.get().count == 2

    pypd_event.create(
        data={"service_key": key, "event_type": "acknowledge", "incident_key": "db1/disk"}
    )
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.ACKNOWLEDGED

    pypd_event.create(
        data={"service_key": key, "event_type": "resolve", "incident_key": "db1/disk"}
    )
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.RESOLVED


@pytest.mark.django_db(transaction=True)
def test_pypd_v1_trigger_without_a_key_gets_a_stable_derived_one(pypd_event, make_integration):
    _, key = make_integration()
    event = {"service_key": key, "event_type": "trigger", "description": "Checkout 502s"}
    first = pypd_event.create(data=dict(event))["incident_key"]
    second = pypd_event.create(data=dict(event))["incident_key"]
    assert first == second and first.startswith("ev1:")
    assert Incident.objects.get().dedup_key == first
    assert Alert.objects.get().count == 2
    pypd_event.create(data={"service_key": key, "event_type": "resolve", "incident_key": first})
    assert Incident.objects.get().status == IncidentStatus.RESOLVED


@pytest.mark.django_db(transaction=True)
def test_pypd_v1_invalid_event_is_refused_as_pagerduty_does(pypd_event, make_integration):
    _, key = make_integration()
    with pytest.raises(pypd.errors.BadRequest) as refused:
        # Valid for pypd's own checks, too long for PagerDuty's.
        pypd_event.create(
            data={"service_key": key, "event_type": "trigger", "description": "x" * 1025}
        )
    assert refused.value.code == 400
    assert json.loads(refused.value.message) == {
        "status": "invalid event",
        "message": "Event object is invalid",
        "errors": ["'description' must be at most 1024 characters."],
    }
    assert not AlertEvent.objects.exists()


def test_a_v1_trigger_maps_as_critical_and_is_declared(make_integration):
    _, key = make_integration()
    response = post_v1(
        {"service_key": key, "event_type": "trigger", "incident_key": "k", "description": "Down"}
    )
    assert response.status_code == 200
    incident = Incident.objects.get()
    assert incident.severity.name == "SEV1"  # v1 has no severity: critical
    assert Alert.objects.get().source == "Events API v1"


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ([], "The event must be a JSON object."),
        ({"event_type": "explode"}, "'event_type' is missing or invalid"),
        ({"event_type": "trigger"}, "'description' is missing or blank"),
        ({"event_type": "trigger", "description": "  "}, "'description' is missing or blank"),
        ({"event_type": "trigger", "description": 5}, "'description' is missing or blank"),
        ({"event_type": "resolve", "description": 5}, "'description' must be a string."),
        ({"event_type": "acknowledge"}, "'incident_key' is required for event_type acknowledge"),
        ({"event_type": "resolve", "incident_key": " "}, "'incident_key' is required"),
        ({"event_type": "trigger", "description": "x", "incident_key": 7}, "'incident_key' must"),
        (
            {"event_type": "trigger", "description": "x", "incident_key": "k" * 256},
            "'incident_key' must be at most 255 characters.",
        ),
        ({"event_type": "trigger", "description": "x", "details": [1]}, "'details' must be"),
        ({"event_type": "trigger", "description": "x", "client": 1}, "'client' must be"),
        ({"event_type": "trigger", "description": "x", "client_url": {}}, "'client_url' must"),
        ({"event_type": "trigger", "description": "x", "contexts": {}}, "'contexts' must be"),
        (
            {"event_type": "trigger", "description": "x", "contexts": [{"type": "video"}]},
            "'contexts[0]' must be an object with type link or image.",
        ),
        (
            {"event_type": "trigger", "description": "x", "contexts": [{"type": "image"}]},
            "'contexts[0]' (image) needs a string 'src'.",
        ),
    ],
)
def test_invalid_v1_events_are_refused_and_nothing_is_stored(make_integration, body, error):
    _, key = make_integration()
    response = post_v1({"service_key": key, **body} if isinstance(body, dict) else body)
    assert response.status_code == 400
    answer = response.json()
    assert answer["status"] == "invalid event"
    assert answer["message"] == "Event object is invalid"
    assert any(error in e for e in answer["errors"]), answer
    assert not AlertEvent.objects.exists()


@pytest.mark.parametrize("body", [{}, {"service_key": "  "}, {"service_key": 5}])
def test_a_v1_event_without_a_service_key_is_refused(make_integration, body):
    make_integration()
    response = post_v1({"event_type": "trigger", "description": "x", **body})
    assert response.status_code == 400
    assert "'service_key' is missing or blank" in response.json()["errors"][0]
    assert not AlertEvent.objects.exists()


@pytest.mark.parametrize(
    "raw",
    [b"{not json", b'{"service_key": "k", "event_type": "trigger", "x": NaN}', b"\xff\xfe"],
)
def test_v1_bodies_that_are_not_strict_json_are_a_400(make_integration, raw):
    make_integration()
    response = post_v1(raw)
    assert response.status_code == 400
    assert response.json()["status"] == "invalid event"


def test_v1_text_the_database_cannot_store_is_refused(make_integration):
    _, key = make_integration()
    # json.dumps writes the NUL as the escape "\u0000", as a sender's JSON library would.
    response = post_v1(
        json.dumps({"service_key": key, "event_type": "trigger", "description": "a\x00b"})
    )
    assert response.status_code == 400
    assert not AlertEvent.objects.exists()


def test_unknown_v1_service_key_is_a_400(make_integration):
    make_integration()
    response = post_v1({"service_key": "nope", "event_type": "trigger", "description": "x"})
    assert response.status_code == 400
    assert response.json()["message"] == "Unknown routing key"


def test_v1_events_larger_than_512_kb_are_refused(make_integration):
    _, key = make_integration()
    body = json.dumps(
        {
            "service_key": key,
            "event_type": "trigger",
            "description": "big",
            "details": {"blob": "x" * MAX_EVENT_BYTES},
        }
    )
    response = post_v1(body)
    assert response.status_code == 413
    assert response.json()["status"] == "invalid event"
    assert not AlertEvent.objects.exists()


def test_v1_get_is_a_405_in_pagerduty_shape(make_integration):
    response = Client().get(URL)
    assert response.status_code == 405
    assert response["Allow"] == "POST"


def test_v1_and_v2_share_the_rate_limit(make_integration):
    _, key = make_integration(rate_limit_per_minute=2)
    event = {"service_key": key, "event_type": "trigger", "incident_key": "a", "description": "x"}
    with time_machine.travel(datetime(2026, 3, 2, 10, 15, 40, tzinfo=UTC), tick=False):
        assert post_v1(event).status_code == 200
        assert post(trigger(key, dedup_key="b")).status_code == 202
        refused = post_v1({**event, "incident_key": "c"})
    assert refused.status_code == 429
    assert refused.json()["status"] == "throttle event"
    assert refused["Retry-After"] == "20"
    assert AlertEvent.objects.count() == 2
