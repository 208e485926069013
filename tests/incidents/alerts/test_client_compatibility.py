"""Defects real PagerDuty-style clients found, each pinned: blank dedup keys, severity
mappings written in capitals, pypd's trailing slash, oversized events, and JSON numbers
and text the database cannot store."""

import json

import pytest
from django.test import Client
from rest_framework.test import APIClient

from incidents.alerts.models import Alert, AlertEvent, Integration
from incidents.models import Incident
from tests.incidents.alerts.enqueue import post, trigger

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("blank", ["", "   ", "\t"])
def test_blank_dedup_keys_never_fold_unrelated_alerts_together(make_integration, blank):
    _, key = make_integration()
    first = post(trigger(key, dedup_key=blank, summary="Disk full on db1"))
    second = post(trigger(key, dedup_key=blank, summary="Checkout 502s"))
    assert first.status_code == second.status_code == 202
    keys = {first.json()["dedup_key"], second.json()["dedup_key"]}
    assert "" not in keys and len(keys) == 2
    assert Alert.objects.count() == 2 and Incident.objects.count() == 2


def test_a_blank_dedup_key_still_cannot_acknowledge(make_integration):
    _, key = make_integration()
    response = post({"routing_key": key, "event_action": "acknowledge", "dedup_key": "  "})
    assert response.status_code == 400
    assert "'dedup_key' is required" in response.json()["errors"][0]


def test_severity_mapping_written_in_capitals_is_used(make_integration):
    integration, key = make_integration(severity_mapping={"CRITICAL": "SEV1", " Warning ": "SEV2"})
    assert Integration.objects.get(pk=integration.pk).severity_mapping == {
        "critical": "SEV1",
        "warning": "SEV2",
    }
    post(trigger(key, dedup_key="a", severity="critical"))
    post(trigger(key, dedup_key="b", severity="warning"))
    assert dict(Incident.objects.values_list("dedup_key", "severity__name")) == {
        "a": "SEV1",
        "b": "SEV2",
    }


def test_mappings_saved_before_normalising_still_match(make_integration):
    integration, key = make_integration()
    # A row written before keys were normalised on save.
    Integration.objects.filter(pk=integration.pk).update(severity_mapping={"CRITICAL": "SEV2"})
    post(trigger(key, dedup_key="a", severity="critical"))
    assert Incident.objects.get().severity.name == "SEV2"


def test_webhook_severity_words_match_a_capitalised_mapping(make_integration):
    _, key = make_integration(
        kind="webhook",
        title_path="t",
        dedup_key_path="id",
        severity_path="p",
        severity_mapping={"P1": "SEV1"},
    )
    response = APIClient().post(
        f"/api/v1/integrations/{key}/webhook/", {"t": "Down", "id": 1, "p": "P1"}, format="json"
    )
    assert response.status_code == 202
    assert Incident.objects.get().severity.name == "SEV1"


def test_mapping_keys_that_collide_or_are_blank_are_refused(api, manager, team, severities):
    response = api.as_user(manager).post(
        "/api/v1/integrations/",
        {
            "team": team.pk,
            "name": "Datadog",
            "kind": "webhook",
            "severity_mapping": {"P1": "SEV1", "p1": "SEV2", " ": "SEV3"},
        },
        format="json",
    )
    assert response.status_code == 400
    problems = " ".join(response.json()["errors"]["severity_mapping"])
    assert "same severity ('p1')" in problems and "cannot be blank" in problems
    assert not Integration.objects.exists()


def test_trailing_slash_is_the_same_endpoint(make_integration):
    _, key = make_integration()
    with_slash = Client().post(
        "/v2/enqueue/", data=json.dumps(trigger(key)), content_type="application/json"
    )
    assert with_slash.status_code == 202
    assert with_slash.json()["status"] == "success"


def test_an_event_over_512_kb_gets_pagerdutys_error_shape(make_integration):
    _, key = make_integration()
    body = trigger(key, custom_details={"blob": "x" * (600 * 1024)})
    response = post(body)
    assert response.status_code == 413
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "status": "invalid event",
        "message": "Event object is invalid",
        "errors": ["The event is larger than 512 KB."],
    }
    assert not AlertEvent.objects.exists()


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ('"payload": {"summary": "s", "source": "h", "severity": "info", "n": NaN}', "NaN"),
        ('"payload": {"summary": "s", "source": "h", "severity": "info", "n": 1e999}', "1e999"),
        ('"payload": {"summary": "\\ud800", "source": "h", "severity": "info"}', "surrogate"),
        (
            '"payload": {"summary": "s", "source": "h", "severity": "info", "\\udfff": 1}',
            "surrogate",
        ),
    ],
)
def test_numbers_and_text_the_database_cannot_store_are_a_400(make_integration, raw, expected):
    _, key = make_integration()
    body = f'{{"routing_key": "{key}", "event_action": "trigger", {raw}}}'
    response = post(body)
    assert response.status_code == 400
    assert response.json()["status"] == "invalid event"
    assert expected in response.json()["errors"][0]
    assert not AlertEvent.objects.exists()


@pytest.mark.parametrize("raw", ['{"t": "x", "n": 1e999}', '{"t": "\\ud800"}', '{"t": NaN}'])
def test_the_generic_webhook_refuses_them_too(make_integration, raw):
    _, key = make_integration(kind="webhook", title_path="t")
    response = APIClient().post(
        f"/api/v1/integrations/{key}/webhook/", data=raw, content_type="application/json"
    )
    assert response.status_code == 400
    assert not Alert.objects.exists()


def test_deeply_nested_json_is_a_400_not_a_crash(make_integration):
    _, key = make_integration()
    nested = "[" * 900 + '"\\u0000"' + "]" * 900
    deep = f'{{"routing_key": "{key}", "event_action": "trigger", "payload": {nested}}}'
    response = post(deep)
    assert response.status_code == 400


@pytest.mark.parametrize(
    "mapping", [{"cr\x00it": "SEV1"}, {"crit": "SEV\x001"}, {"\ud800": "SEV1"}]
)
def test_mapping_text_the_database_cannot_store_is_refused(make_integration, mapping):
    from common.errors import InvalidInput

    with pytest.raises(InvalidInput) as refused:
        make_integration(severity_mapping=mapping)
    assert "contains" in refused.value.errors["severity_mapping"][0]
    assert not Integration.objects.exists()
