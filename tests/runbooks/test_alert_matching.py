"""Runbooks attached from alerts: alert ingestion sends incidents.signals.alert_received
inside its transaction and the runbooks receiver attaches by alert name and labels. And
the coverage report's alert names come from the alerts the team's integrations received."""

import json
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from rest_framework.test import APIClient

from incidents.alerts.models import Alert
from incidents.alerts.services.integrations import integration_create
from incidents.models import Incident, TimelineEvent
from runbooks.models import RunbookAttachment
from runbooks.selectors import alert_names_seen, runbook_coverage
from tests.incidents.factories import ServiceFactory
from tests.runbooks.factories import RunbookFactory

pytestmark = pytest.mark.django_db


def alertmanager_notification(alertname="HighLatency", instance="web-1"):
    labels = {"alertname": alertname, "severity": "critical", "instance": instance}
    return {
        "version": "4",
        "groupKey": f'{{}}:{{alertname="{alertname}",instance="{instance}"}}',
        "truncatedAlerts": 0,
        "status": "firing",
        "receiver": "tocsin",
        "groupLabels": {"alertname": alertname},
        "commonLabels": labels,
        "commonAnnotations": {"summary": f"{alertname} on {instance}"},
        "externalURL": "http://alertmanager:9093",
        "alerts": [
            {
                "status": "firing",
                "labels": labels,
                "annotations": {},
                "startsAt": "2026-03-02T10:00:00Z",
                "endsAt": "0001-01-01T00:00:00Z",
                "generatorURL": "http://prometheus/graph",
                "fingerprint": "a1b2c3",
            }
        ],
    }


def events_trigger(routing_key, *, klass, component, dedup_key="ev-1"):
    return {
        "routing_key": routing_key,
        "event_action": "trigger",
        "dedup_key": dedup_key,
        "payload": {
            "summary": "Replication broken on db-2",
            "source": "db-2",
            "severity": "error",
            "component": component,
            "group": "storage",
            "class": klass,
            "custom_details": {"lag_seconds": 95},
        },
    }


def _attached(incident):
    return list(
        RunbookAttachment.objects.filter(incident=incident)
        .order_by("-score", "id")
        .values_list("runbook__title", "matched_by")
    )


def test_an_alertmanager_alert_attaches_the_runbook_of_its_name_and_labels(team, member):
    _, key = integration_create(actor=None, team=team, name="prom", kind="alertmanager")
    RunbookFactory(team=team, title="High latency", matchers={"alert_names": ["HighLatency"]})
    RunbookFactory(team=team, title="Web-1 quirks", matchers={"labels": {"instance": "web-1"}})
    RunbookFactory(team=team, title="Disk full", matchers={"alert_names": ["DiskFull"]})
    RunbookFactory(  # another team's runbook never attaches
        title="Theirs", matchers={"alert_names": ["HighLatency"]}
    )

    response = APIClient().post(
        f"/api/v1/integrations/{key}/alertmanager/", alertmanager_notification(), format="json"
    )
    assert response.status_code == 202, response.content
    incident = Incident.objects.get()
    assert _attached(incident) == [
        ("High latency", ["alert:HighLatency"]),
        ("Web-1 quirks", ["labels:instance=web-1"]),
    ]
    events = TimelineEvent.objects.filter(incident=incident, kind="runbook_attached")
    assert sorted(e.message for e in events) == [
        "Runbook attached: High latency",
        "Runbook attached: Web-1 quirks",
    ]
    # Best first through the API.
    body = APIClient()
    body.force_authenticate(member)
    listed = body.get(f"/api/v1/incidents/{incident.pk}/runbooks/").json()
    assert [row["runbook"]["title"] for row in listed] == ["High latency", "Web-1 quirks"]


def test_an_events_api_trigger_matches_by_class_and_component(team, committing, settings):
    # /v2/enqueue stores the event and applies it after the commit (one task per event).
    settings.ALERT_INBOX_KICK_SECONDS = 0
    _, key = integration_create(actor=None, team=team, name="pd", kind="events_v2")
    RunbookFactory(
        team=team, title="Replication lag", matchers={"alert_names": ["replication_lag"]}
    )
    RunbookFactory(team=team, title="Postgres", matchers={"labels": {"component": "postgres"}})
    RunbookFactory(team=team, title="Redis", matchers={"labels": {"component": "redis"}})

    with committing():
        response = APIClient().post(
            "/v2/enqueue",
            data=json.dumps(events_trigger(key, klass="replication_lag", component="postgres")),
            content_type="application/json",
        )
    assert response.status_code == 202, response.content
    alert = Alert.objects.get()
    # What the alert code stores: payload.class is the name, component/group/class labels.
    assert alert.name == "replication_lag"
    assert alert.labels == {"component": "postgres", "group": "storage", "class": "replication_lag"}
    assert _attached(alert.incident) == [
        ("Replication lag", ["alert:replication_lag"]),
        ("Postgres", ["labels:component=postgres"]),
    ]
    assert (
        TimelineEvent.objects.filter(incident=alert.incident, kind="runbook_attached").count() == 2
    )

    # A repeat of the same alert is deduplicated: nothing attached twice.
    with committing():
        APIClient().post(
            "/v2/enqueue",
            data=json.dumps(events_trigger(key, klass="replication_lag", component="postgres")),
            content_type="application/json",
        )
    assert Alert.objects.get().count == 2
    assert RunbookAttachment.objects.count() == 2


def test_an_alert_joining_a_storm_incident_adds_its_runbooks(team, committing, settings):
    settings.ALERT_INBOX_KICK_SECONDS = 0
    _, key = integration_create(
        actor=None, team=team, name="pd", kind="events_v2", storm_threshold_per_minute=1
    )
    RunbookFactory(team=team, title="Lag", matchers={"alert_names": ["replication_lag"]})
    RunbookFactory(team=team, title="Disk", matchers={"alert_names": ["disk_full"]})
    client = APIClient()
    for n, klass in enumerate(["replication_lag", "disk_full", "disk_full"]):
        body = events_trigger(key, klass=klass, component="db", dedup_key=f"k{n}")
        with committing():
            client.post("/v2/enqueue", data=json.dumps(body), content_type="application/json")
    storm = Incident.objects.get(dedup_key__startswith="storm:")
    assert [title for title, _ in _attached(storm)] == ["Disk"]


def test_coverage_lists_the_alert_names_the_team_received(api, team, member, other_team):
    checkout = ServiceFactory(team=team, name="Checkout", slug="checkout")
    latency = RunbookFactory(
        team=team,
        title="High latency",
        services=[checkout],
        matchers={"alert_names": ["HighLatency"]},
    )
    _, key = integration_create(actor=None, team=team, name="prom", kind="alertmanager")
    _, their_key = integration_create(actor=None, team=other_team, name="prom", kind="alertmanager")
    now = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
    client = APIClient()
    sent = [
        (now - timedelta(days=100), key, "OldAlert"),  # before the 90-day window
        (now - timedelta(days=30), key, "HighLatency"),
        (now - timedelta(days=10), key, "DiskFull"),
        (now - timedelta(days=5), key, "HighLatency"),  # a second group, same name
        (now - timedelta(days=3), their_key, "TheirAlert"),
    ]
    for n, (moment, routing_key, name) in enumerate(sent):
        with time_machine.travel(moment, tick=False):
            response = client.post(
                f"/api/v1/integrations/{routing_key}/alertmanager/",
                alertmanager_notification(name, instance=f"web-{n}"),
                format="json",
            )
            assert response.status_code == 202, response.content

    assert alert_names_seen(team=team, since=now - timedelta(days=90)) == [
        "DiskFull",
        "HighLatency",
    ]
    with time_machine.travel(now, tick=False):
        report = runbook_coverage(team=team)
        body = api.as_user(member).get(f"/api/v1/runbooks/coverage/?team={team.pk}").json()
    assert report["alert_names_available"] is True
    assert [(r["alert_name"], [b["id"] for b in r["runbooks"]]) for r in report["alert_names"]] == [
        ("DiskFull", []),
        ("HighLatency", [latency.pk]),
    ]
    assert (report["covered"], report["total"]) == (2, 3)
    assert [r["alert_name"] for r in body["alert_names"]] == ["DiskFull", "HighLatency"]
    assert body["alert_names_available"] is True
