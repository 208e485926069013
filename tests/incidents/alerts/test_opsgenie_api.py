"""The Opsgenie Alert API at Opsgenie's paths: the official client (opsgenie-sdk) creates,
acknowledges, notes and closes an alert over HTTP; priorities become severities; bad
requests get Opsgenie's error shape and store nothing."""

import json

import opsgenie_sdk
import pytest
from django.test import Client

from incidents.alerts.models import Alert, AlertEvent
from incidents.models import Incident, IncidentStatus, TimelineEvent, TimelineEventKind

pytestmark = pytest.mark.django_db


def _alert_api(base_url: str, key: str) -> opsgenie_sdk.AlertApi:
    conf = opsgenie_sdk.Configuration()
    conf.host = base_url  # the only change an Opsgenie script needs
    conf.api_key["Authorization"] = key
    conf.api_key_prefix["Authorization"] = "GenieKey"
    conf.retry_enabled = False  # a refusal should fail the test at once
    return opsgenie_sdk.AlertApi(opsgenie_sdk.ApiClient(conf))


def _post(path: str, body, key: str | None = None, **headers):
    if key is not None:
        headers["HTTP_AUTHORIZATION"] = f"GenieKey {key}"
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    return Client().post(path, data=data, content_type="application/json", **headers)


def _assert_opsgenie_error(response, status: int) -> dict:
    assert response.status_code == status
    body = response.json()
    assert isinstance(body["message"], str) and body["message"]
    assert body["took"] == 0.0 and len(body["requestId"]) == 36
    return body


@pytest.mark.django_db(transaction=True)
def test_opsgenie_sdk_creates_acknowledges_notes_and_closes(live_server, make_integration):
    _, key = make_integration(name="Opsgenie scripts")
    alerts = _alert_api(live_server.url, key)

    created = alerts.create_alert(
        create_alert_payload=opsgenie_sdk.CreateAlertPayload(
            message="Checkout error rate above 5 %",
            alias="checkout-errors",
            description="5xx ratio over 5 minutes",
            priority="P1",
            source="grafana",
            entity="checkout-api",
            tags=["checkout", "prod"],
            details={"ratio": "0.07"},
        )
    )
    assert created.result == "Request will be processed"
    assert created.request_id
    incident = Incident.objects.get()
    assert incident.severity.name == "SEV1"
    assert incident.status == IncidentStatus.TRIGGERED
    assert incident.title == "Checkout error rate above 5 %"
    alert = Alert.objects.get()
    assert (alert.dedup_key, alert.source, alert.source_severity) == (
        "checkout-errors",
        "grafana",
        "P1",
    )

    # The same alias again is the same alert, counted.
    alerts.create_alert(
        create_alert_payload=opsgenie_sdk.CreateAlertPayload(
            message="Checkout error rate above 5 %", alias="checkout-errors", priority="P1"
        )
    )
    assert Incident.objects.count() == 1
    assert Alert.objects.get().count == 2

    alerts.acknowledge_alert(
        "checkout-errors",
        identifier_type="alias",
        acknowledge_alert_payload=opsgenie_sdk.AcknowledgeAlertPayload(user="ana", source="cli"),
    )
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.ACKNOWLEDGED

    alerts.add_note(
        "checkout-errors",
        identifier_type="alias",
        add_note_to_alert_payload=opsgenie_sdk.AddNoteToAlertPayload(
            user="ana", note="Rolled back release 142"
        ),
    )
    note = TimelineEvent.objects.get(incident=incident, kind=TimelineEventKind.NOTE)
    assert note.message.startswith("Rolled back release 142")
    assert "ana" in note.message and note.actor_id is None

    alerts.close_alert(
        "checkout-errors",
        identifier_type="alias",
        close_alert_payload=opsgenie_sdk.CloseAlertPayload(user="ana", note="Recovered"),
    )
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.RESOLVED
    assert not Alert.objects.get().is_open


@pytest.mark.django_db(transaction=True)
def test_the_sdk_sees_opsgenies_errors(live_server, make_integration):
    _, key = make_integration()
    with pytest.raises(opsgenie_sdk.exceptions.AuthenticationException) as unknown_key:
        _alert_api(live_server.url, "not-a-key").create_alert(
            create_alert_payload=opsgenie_sdk.CreateAlertPayload(message="Disk full")
        )
    assert unknown_key.value.status == 401
    with pytest.raises(opsgenie_sdk.ApiException) as unknown_alert:  # the SDK's 404
        _alert_api(live_server.url, key).close_alert("nothing-here", identifier_type="alias")
    assert unknown_alert.value.status == 404
    assert "does not exist" in json.loads(unknown_alert.value.body)["message"]
    assert not Alert.objects.exists() and not AlertEvent.objects.exists()


def test_identifier_type_id_is_the_alert_id_of_the_create_answer(make_integration):
    _, key = make_integration()
    created = _post("/v2/alerts", {"message": "Queue backlog", "alias": "backlog"}, key)
    assert created.status_code == 202
    alert_id = created.json()["alertId"]
    assert alert_id == str(Alert.objects.get().pk) and created.json()["alias"] == "backlog"
    # identifierType defaults to id, as in Opsgenie.
    assert _post(f"/v2/alerts/{alert_id}/acknowledge", {}, key).status_code == 202
    assert Incident.objects.get().status == IncidentStatus.ACKNOWLEDGED
    assert _post(f"/v2/alerts/{alert_id}/close?identifierType=tiny", None, key).status_code == 202
    assert Incident.objects.get().status == IncidentStatus.RESOLVED


@pytest.mark.parametrize(
    ("priority", "severity"),
    [
        ("P1", "SEV1"),
        ("P2", "SEV2"),
        ("P3", "SEV3"),
        ("P4", "SEV4"),
        ("P5", "SEV4"),
        (None, "SEV3"),
    ],
)
def test_priorities_become_severities(make_integration, priority, severity):
    _, key = make_integration()
    body = {"message": "Latency high", "alias": "latency"}
    if priority:
        body["priority"] = priority
    assert _post("/v2/alerts", body, key).status_code == 202
    assert Incident.objects.get().severity.name == severity


def test_the_integrations_own_p_keys_win(make_integration):
    _, key = make_integration(severity_mapping={"P3": "SEV1"})
    _post("/v2/alerts", {"message": "Latency high", "priority": "P3"}, key)
    assert Incident.objects.get().severity.name == "SEV1"


def test_without_an_alias_a_retried_request_joins_the_first_alert(make_integration):
    _, key = make_integration()
    body = {"message": "Backup failed", "description": "nightly", "priority": "P2"}
    first, retry = _post("/v2/alerts", body, key), _post("/v2/alerts", body, key)
    assert first.status_code == retry.status_code == 202
    assert first.json()["alias"] == retry.json()["alias"]
    assert Incident.objects.count() == 1 and Alert.objects.get().count == 2


def test_an_alias_longer_than_the_column_still_identifies_its_alert(make_integration):
    _, key = make_integration()
    alias = "a" * 500
    assert _post("/v2/alerts", {"message": "Long alias", "alias": alias}, key).status_code == 202
    assert len(Alert.objects.get().dedup_key) <= 255
    response = _post(f"/v2/alerts/{alias}/acknowledge?identifierType=alias", {}, key)
    assert response.status_code == 202
    assert Incident.objects.get().status == IncidentStatus.ACKNOWLEDGED


@pytest.mark.parametrize(
    ("headers", "message"),
    [({}, "Key format"), ({"HTTP_AUTHORIZATION": "GenieKey nope"}, "Could not authenticate")],
)
def test_a_missing_or_unknown_key_is_a_401(make_integration, headers, message):
    make_integration()
    response = _post("/v2/alerts", {"message": "Disk full"}, **headers)
    assert message in _assert_opsgenie_error(response, 401)["message"]
    assert not AlertEvent.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "message"),
        ({"message": "  "}, "message"),
        ({"message": "x" * 131}, "message"),
        ({"message": "ok", "priority": "P9"}, "priority"),
        ({"message": "ok", "alias": "a" * 513}, "alias"),
        ({"message": "ok", "tags": "prod"}, "tags"),
        ({"message": "ok", "details": {"n": 1}}, "details"),
        ({"message": 5}, "message"),
        ([1, 2], "body"),
        ('{"message": "ok", "n": NaN}', "body"),
        ('{"message": "\\u0000"}', "body"),
    ],
)
def test_invalid_alerts_are_a_422_and_store_nothing(make_integration, body, field):
    _, key = make_integration()
    response = _post("/v2/alerts", body, key)
    assert field in _assert_opsgenie_error(response, 422)["errors"]
    assert not Alert.objects.exists() and not AlertEvent.objects.exists()


def test_a_body_that_is_not_json_is_a_400(make_integration):
    _, key = make_integration()
    _assert_opsgenie_error(_post("/v2/alerts", "{not json", key), 400)
    assert not Alert.objects.exists()


def test_only_post_creates(make_integration):
    _, key = make_integration()
    response = Client().get("/v2/alerts", HTTP_AUTHORIZATION=f"GenieKey {key}")
    _assert_opsgenie_error(response, 405)


def test_actions_on_unknown_alerts_and_bad_identifiers(make_integration):
    _, key = make_integration()
    _post("/v2/alerts", {"message": "Disk full", "alias": "disk"}, key)
    _assert_opsgenie_error(_post("/v2/alerts/999/acknowledge", {}, key), 404)
    _assert_opsgenie_error(_post("/v2/alerts/disk/acknowledge", {}, key), 404)  # not an id
    bad_type = _post("/v2/alerts/disk/close?identifierType=name", {}, key)
    assert "identifierType" in _assert_opsgenie_error(bad_type, 422)["errors"]
    empty_note = _post("/v2/alerts/disk/notes?identifierType=alias", {"user": "ana"}, key)
    assert "note" in _assert_opsgenie_error(empty_note, 422)["errors"]
    _assert_opsgenie_error(_post("/v2/alerts/disk/snooze?identifierType=alias", {}, key), 404)
    assert Incident.objects.get().status == IncidentStatus.TRIGGERED
    assert not TimelineEvent.objects.filter(kind=TimelineEventKind.NOTE).exists()


def test_a_key_acts_only_on_its_own_integrations_alerts(make_integration):
    _, key = make_integration(name="first")
    _, other_key = make_integration(name="second")
    _post("/v2/alerts", {"message": "Disk full", "alias": "disk"}, key)
    response = _post("/v2/alerts/disk/close?identifierType=alias", {}, other_key)
    _assert_opsgenie_error(response, 404)
    assert Incident.objects.get().status == IncidentStatus.TRIGGERED
