"""Events API v2: invalid events get the documented 400 and leave nothing behind."""

import pytest
from django.test import Client

from incidents.alerts.models import AlertEvent
from incidents.models import Incident
from tests.incidents.alerts.enqueue import post, trigger

pytestmark = pytest.mark.django_db


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
