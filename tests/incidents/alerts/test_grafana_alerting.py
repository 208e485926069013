"""Grafana Alerting's webhook contact point, pointed at an Alertmanager integration: its
body is Alertmanager's with Grafana's additions (``orgId``, ``title``, ``state``,
``message``, ``values``, ``version`` "1"). This is the body Grafana documents for the
webhook notifier, firing then resolved."""

import pytest
from rest_framework.test import APIClient

from incidents.models import Incident, IncidentStatus

pytestmark = pytest.mark.django_db


def grafana(status):
    alert = {
        "status": status,
        "labels": {"alertname": "High memory usage", "team": "blue", "zone": "us-1"},
        "annotations": {
            "description": "The system has high memory usage",
            "runbook_url": "https://myrunbook.com/runbook/1234",
            "summary": "This alert was triggered for zone us-1",
        },
        "startsAt": "2021-10-12T09:51:03.157076+02:00",
        "endsAt": "0001-01-01T00:00:00Z" if status == "firing" else "2021-10-12T10:21:03Z",
        "generatorURL": "https://play.grafana.org/alerting/1afz29v7z/edit",
        "fingerprint": "c6eadffa33fcdf37",
        "silenceURL": "https://play.grafana.org/alerting/silence/new?alertmanager=grafana",
        "dashboardURL": "",
        "panelURL": "",
        "values": {"B": 44.23943737541908, "C": 1},
    }
    return {
        "receiver": "My Super Webhook",
        "status": status,
        "orgId": 1,
        "alerts": [alert],
        "groupLabels": {},
        "commonLabels": {"alertname": "High memory usage", "team": "blue", "zone": "us-1"},
        "commonAnnotations": {},
        "externalURL": "https://play.grafana.org/",
        "version": "1",
        "groupKey": '{}:{alertname="High memory usage"}',
        "truncatedAlerts": 0,
        "title": f"[{status.upper()}:1]  (High memory usage blue us-1)",
        "state": "alerting" if status == "firing" else "ok",
        "message": "**Firing**\n\nValue: B=44.23, C=1\nLabels:\n - alertname = High memory usage",
    }


def test_a_grafana_alert_opens_then_resolves_one_incident(make_integration):
    _, key = make_integration(kind="alertmanager")
    client = APIClient()
    url = f"/api/v1/integrations/{key}/alertmanager/"
    first = client.post(url, grafana("firing"), format="json")
    again = client.post(url, grafana("firing"), format="json")
    assert first.status_code == again.status_code == 202, first.content
    assert again.json()["deduplicated"] is True
    incident = Incident.objects.get()
    assert "High memory usage" in incident.title or "zone us-1" in incident.title
    assert client.post(url, grafana("resolved"), format="json").status_code == 202
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.RESOLVED
