"""The integrations pages: managers add an integration and see its key once with the
configuration to paste, members only read, another team's integration is 404; the test
event goes through the real ingest path and opens an alert and an incident; the key can
be rotated; SITE_URL defaults to the development server's port."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from incidents.alerts.models import Alert, Integration
from incidents.alerts.parsers.events import NormalizedEvent
from incidents.alerts.services import alert_ingest
from incidents.alerts.services.integrations import integration_create
from incidents.models import Incident
from tests.incidents.factories import ServiceFactory

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def site_url(settings):
    settings.SITE_URL = "https://tocsin.example.com"
    return settings.SITE_URL


@pytest.fixture
def as_manager(client, manager):
    client.force_login(manager)
    return client


@pytest.fixture
def as_member(client, member):
    client.force_login(member)
    return client


def _key_on(page: str) -> str | None:
    found = re.search(r'id="integration-key"[^>]*value="([0-9a-f]{32})"', page) or re.search(
        r'value="([0-9a-f]{32})"[^>]*id="integration-key"', page
    )
    return found.group(1) if found else None


def _create(client, team, **fields):
    data = {"team": team.pk, "name": "Prometheus", "kind": "events_v2", "default_severity": "SEV3"}
    data.update(fields)
    return client.post("/integrations/", data)


def _enqueue(client, key):
    return client.post(
        "/v2/enqueue",
        data=json.dumps(
            {
                "routing_key": key,
                "event_action": "trigger",
                "dedup_key": "disk",
                "payload": {"summary": "Disk full", "source": "db1", "severity": "critical"},
            }
        ),
        content_type="application/json",
    )


def test_manager_adds_an_integration_and_sees_its_key_once(
    as_manager, team, severities, site_url, eager_celery
):
    service = ServiceFactory(team=team, name="Checkout API", slug="checkout-api")
    response = _create(as_manager, team, service=service.pk, default_severity="SEV2")
    integration = Integration.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/integrations/{integration.pk}/"
    assert (integration.team, integration.service, integration.default_severity) == (
        team,
        service,
        "SEV2",
    )

    first = as_manager.get(response["Location"])
    page = first.content.decode()
    key = _key_on(page)
    assert key and key.startswith(integration.routing_key_hint)
    assert first["Cache-Control"] == "no-store"
    assert "shown only this once" in page
    assert f"{site_url}/v2/enqueue" in page
    assert f"&quot;routing_key&quot;: &quot;{key}&quot;" in page  # in the curl example
    # The key works: the Events API takes an event with it.
    assert _enqueue(as_manager, key).status_code == 202

    again = as_manager.get(response["Location"]).content.decode()
    assert key not in again and _key_on(again) is None
    assert f"starts with <code>{integration.routing_key_hint}</code>" in again
    assert "YOUR_INTEGRATION_KEY" in again
    listing = as_manager.get("/integrations/").content.decode()
    assert "Prometheus" in listing and key not in listing


def test_member_sees_the_integrations_but_cannot_add_one(as_member, team, severities):
    integration_create(actor=None, team=team, name="Grafana", kind="webhook")
    response = as_member.get("/integrations/")
    body = response.content.decode()
    assert response.status_code == 200
    assert "Grafana" in body and 'id="integration-form"' not in body
    refused = _create(as_member, team, name="Sneaky")
    assert refused.status_code == 403
    assert "Only team managers" in refused.content.decode()
    assert not Integration.objects.filter(name="Sneaky").exists()

    integration = Integration.objects.get()
    detail = as_member.get(f"/integrations/{integration.pk}/").content.decode()
    assert 'id="send-test-event"' not in detail and 'id="rotate-key-form"' not in detail
    assert as_member.post(f"/integrations/{integration.pk}/test-event/").status_code == 403
    assert as_member.post(
        f"/integrations/{integration.pk}/rotate-key/", {"confirm": "yes"}
    ).status_code == (403)
    assert not Alert.objects.exists()
    assert Integration.objects.get().routing_key_hash == integration.routing_key_hash


def test_bad_input_is_a_message_on_the_form(as_manager, team, other_team, severities):
    blank = _create(as_manager, team, name="  ")
    assert blank.status_code == 200  # the form again, with the error
    assert "This field is required." in blank.content.decode()
    theirs = ServiceFactory(team=other_team, name="Their API", slug="their-api")
    wrong_service = _create(as_manager, team, service=theirs.pk)
    assert wrong_service.status_code == 200  # the form again, with the error
    assert "Select a valid choice" in wrong_service.content.decode()  # not offered
    not_their_team = _create(as_manager, other_team)
    assert not_their_team.status_code == 200  # the form again, with the error
    assert "Select a valid choice" in not_their_team.content.decode()
    assert _create(as_manager, team).status_code == 302
    duplicate = _create(as_manager, team)
    assert duplicate.status_code == 200  # the form again, with the error
    assert "Already used in this team." in duplicate.content.decode()
    assert Integration.objects.count() == 1


def test_alertmanager_snippet_holds_the_address_alertmanager_posts_to(
    as_manager, team, severities, site_url
):
    as_manager.post(
        "/integrations/",
        {"team": team.pk, "name": "Prometheus", "kind": "alertmanager", "default_severity": "SEV3"},
    )
    integration = Integration.objects.get()
    page = as_manager.get(f"/integrations/{integration.pk}/").content.decode()
    key = _key_on(page)
    url = f"{site_url}/api/v1/integrations/{key}/alertmanager/"
    assert "receivers:" in page and "webhook_configs:" in page
    assert f"      - url: &#x27;{url}&#x27;" in page
    assert "send_resolved: true" in page
    # The path in the snippet is the one Alertmanager's notifications are taken at.
    notification = {
        "version": "4",
        "status": "firing",
        "groupKey": '{}:{alertname="DiskFull"}',
        "groupLabels": {"alertname": "DiskFull"},
        "commonLabels": {"alertname": "DiskFull", "severity": "critical"},
        "commonAnnotations": {"summary": "Disk full on db1"},
        "alerts": [{"status": "firing", "labels": {"alertname": "DiskFull"}}],
    }
    response = as_manager.post(
        url.removeprefix(site_url), data=json.dumps(notification), content_type="application/json"
    )
    assert response.status_code == 202, response.content
    assert Alert.objects.get().incident.title == "Disk full on db1"


def test_webhook_snippet_has_its_address_and_configured_fields(
    as_manager, team, severities, settings
):
    as_manager.post(
        "/integrations/",
        {
            "team": team.pk,
            "name": "Grafana",
            "kind": "webhook",
            "default_severity": "SEV3",
            "title_path": "alert.title",
            "dedup_key_path": "alert.id",
        },
    )
    integration = Integration.objects.get()
    assert (integration.title_path, integration.dedup_key_path) == ("alert.title", "alert.id")
    page = as_manager.get(f"/integrations/{integration.pk}/").content.decode()
    key = _key_on(page)
    assert f"{settings.SITE_URL}/api/v1/integrations/{key}/webhook/" in page
    assert "reads the title from alert.title; dedup key from alert.id" in page
    assert "&quot;alert&quot;: {&quot;title&quot;: &quot;Disk 92% full on db1&quot;" in page


def test_test_event_opens_an_alert_and_incident_and_a_repeat_joins_it(as_manager, team, severities):
    service = ServiceFactory(team=team, name="Checkout API", slug="checkout-api")
    integration, _key = integration_create(
        actor=None, team=team, name="Scripts", kind="events_v2", service=service
    )
    sent = as_manager.post(f"/integrations/{integration.pk}/test-event/")
    assert sent.status_code == 302
    alert = Alert.objects.get()
    incident = alert.incident
    assert alert.integration == integration and alert.count == 1
    assert incident.team == team and incident.source == "events_v2"
    assert incident.title == "Test event from Tocsin for Scripts"
    assert incident.severity.name == "SEV4"  # "info" through the default mapping
    assert list(incident.services.all()) == [service]
    page = as_manager.get(sent["Location"]).content.decode()
    assert f'href="/incidents/{incident.pk}/" id="test-incident-link"' in page
    assert "It opened an alert and an incident" in page
    assert as_manager.get(f"/incidents/{incident.pk}/").status_code == 200

    # Again, through htmx: the answer is the activity fragment, and the repeat joins.
    again = as_manager.post(f"/integrations/{integration.pk}/test-event/", HTTP_HX_REQUEST="true")
    fragment = again.content.decode()
    assert again.status_code == 200
    assert "<html" not in fragment and '<div id="activity">' in fragment
    assert "joined the open test alert (seen 2 times)" in fragment
    assert Incident.objects.count() == 1 and Alert.objects.get().count == 2


@pytest.mark.parametrize("kind", ["alertmanager", "webhook"])
def test_test_event_goes_through_each_kinds_parser(as_manager, team, severities, kind):
    fields = {"title_path": "a.b", "dedup_key_path": "a.id"} if kind == "webhook" else {}
    integration, _key = integration_create(actor=None, team=team, name="Tool", kind=kind, **fields)
    as_manager.post(f"/integrations/{integration.pk}/test-event/")
    alert = Alert.objects.get()
    expected_key = "tocsin-test-event"
    assert alert.dedup_key == expected_key
    assert alert.summary == "Test event from Tocsin for Tool"
    assert alert.incident.source == kind
    if kind == "alertmanager":
        assert alert.name == "TocsinTestEvent" and alert.source_severity == "info"
    else:
        assert alert.payload["a"]["b"] == "Test event from Tocsin for Tool"


def test_test_event_of_a_disabled_integration_is_a_message(as_manager, team, severities):
    integration, _key = integration_create(
        actor=None, team=team, name="Off", kind="events_v2", enabled=False
    )
    sent = as_manager.post(f"/integrations/{integration.pk}/test-event/", follow=True)
    assert "The test event was not sent: This integration is turned off" in sent.content.decode()
    assert not Alert.objects.exists()


def test_rotating_the_key_shows_the_new_one_once_and_the_old_one_stops(
    as_manager, team, severities, eager_celery
):
    integration, old_key = integration_create(
        actor=None, team=team, name="Scripts", kind="events_v2"
    )
    unconfirmed = as_manager.post(f"/integrations/{integration.pk}/rotate-key/", follow=True)
    assert "Tick the box first" in unconfirmed.content.decode()
    assert _enqueue(as_manager, old_key).status_code == 202

    response = as_manager.post(
        f"/integrations/{integration.pk}/rotate-key/", {"confirm": "yes"}, follow=True
    )
    new_key = _key_on(response.content.decode())
    assert new_key and new_key != old_key
    assert "The old key no longer works" in response.content.decode()
    assert _enqueue(as_manager, old_key).status_code == 400
    assert _enqueue(as_manager, new_key).status_code == 202
    assert _key_on(as_manager.get(f"/integrations/{integration.pk}/").content.decode()) is None


def test_another_teams_integration_is_not_found(client, outsider, team, severities):
    integration, _key = integration_create(actor=None, team=team, name="Ours", kind="webhook")
    client.force_login(outsider)
    assert "Ours" not in client.get("/integrations/").content.decode()
    base = f"/integrations/{integration.pk}/"
    assert client.get(base).status_code == 404
    assert client.post(base + "test-event/").status_code == 404
    assert client.post(base + "rotate-key/", {"confirm": "yes"}).status_code == 404
    assert client.get("/integrations/999999/").status_code == 404
    assert not Alert.objects.exists()


def test_staff_can_add_an_integration_to_any_team(client, staff, team, other_team, severities):
    client.force_login(staff)
    theirs = ServiceFactory(team=other_team, name="Their API", slug="their-api")
    mismatch = _create(client, team, service=theirs.pk)
    assert mismatch.status_code == 200  # the form again, with the error
    assert "Choose a service of team Payments, or none." in mismatch.content.decode()
    assert _create(client, other_team, name="Staff made").status_code == 302
    assert Integration.objects.get().team == other_team


def test_pages_query_count_does_not_grow_with_alerts(as_manager, team, severities):
    integration, _key = integration_create(actor=None, team=team, name="Scripts", kind="webhook")

    def queries(path):
        as_manager.get(path)  # the session's own writes settle first
        with CaptureQueriesContext(connection) as captured:
            assert as_manager.get(path).status_code == 200
        return len(captured)

    def add_alerts(count):
        for _ in range(count):
            number = Alert.objects.count()
            alert_ingest(
                integration=integration,
                event=NormalizedEvent(
                    action="trigger", dedup_key=f"k{number}", payload={}, summary=f"#{number}"
                ),
            )

    add_alerts(1)
    few = queries("/integrations/"), queries(f"/integrations/{integration.pk}/")
    add_alerts(4)
    assert Alert.objects.count() == 5
    assert (queries("/integrations/"), queries(f"/integrations/{integration.pk}/")) == few


def _site_url_in_a_fresh_process(**env: str) -> str:
    environment = {k: v for k, v in os.environ.items() if k not in ("SITE_URL", "PORT")}
    environment.update(env)
    return subprocess.run(
        [sys.executable, "-c", "from config.settings import base; print(base.SITE_URL)"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


def test_site_url_defaults_to_the_development_servers_port():
    assert _site_url_in_a_fresh_process() == "http://localhost:8000"
    assert _site_url_in_a_fresh_process(PORT="8123") == "http://localhost:8123"
    assert (
        _site_url_in_a_fresh_process(SITE_URL="https://oncall.example.com/", PORT="8123")
        == "https://oncall.example.com"
    )
