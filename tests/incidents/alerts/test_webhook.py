"""Generic JSON webhooks, with the integration's JSON paths."""

import pytest
from rest_framework.test import APIClient

from incidents.alerts.models import Alert
from incidents.alerts.parsers.webhook import json_path
from incidents.models import Incident, IncidentStatus

pytestmark = pytest.mark.django_db


def url(key):
    return f"/api/v1/integrations/{key}/webhook/"


@pytest.fixture
def webhook(make_integration):
    return make_integration(
        kind="webhook",
        title_path="check.name",
        dedup_key_path="check.id",
        severity_path="level",
        resolve_path="state",
        resolve_value="OK",
        severity_mapping={"crit": "SEV1", "warn": "SEV3"},
    )


def test_paths_pick_title_key_severity_and_resolve(webhook):
    _, key = webhook
    client = APIClient()
    body = {"check": {"id": 42, "name": "API down"}, "level": "crit", "state": "FAILING"}
    assert client.post(url(key), body, format="json").status_code == 202
    assert client.post(url(key), body, format="json").json()["deduplicated"] is True
    incident = Incident.objects.get()
    assert (incident.title, incident.severity.name, incident.dedup_key) == (
        "API down",
        "SEV1",
        "42",
    )
    assert Alert.objects.get().count == 2
    client.post(url(key), {**body, "state": "ok"}, format="json")
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.RESOLVED


def test_missing_paths_fall_back_and_anything_json_is_accepted(webhook):
    _, key = webhook
    client = APIClient()
    assert client.post(url(key), {"unrelated": True}, format="json").status_code == 202
    assert client.post(url(key), [1, 2, 3], format="json").status_code == 202
    assert client.post(url(key), "just text", format="json").status_code == 202
    titles = set(Incident.objects.values_list("title", flat=True))
    assert titles == {"Alert from webhook integration"}
    assert set(Incident.objects.values_list("severity__name", flat=True)) == {"SEV3"}


def test_json_path():
    doc = {"a": {"b": [{"c": "x"}, {"c": "y"}]}, "n": None}
    assert json_path(doc, "a.b.1.c") == "y"
    assert json_path(doc, "a.b.-1.c") == "y"
    assert json_path(doc, "a.b.5.c") is None
    assert json_path(doc, "a.x") is None
    assert json_path(doc, "n.deeper") is None
    assert json_path(doc, "") is None
