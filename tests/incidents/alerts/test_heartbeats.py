"""Heartbeat monitors: a monitor that goes silent past its interval opens an incident
(paged like any alert's) when the beat runs, once however often it runs; the next ping
resolves it. Pings are Opsgenie's (``GenieKey``, the official SDK's ``HeartbeatApi.ping``);
managers create and delete monitors in the API, members read them."""

from datetime import timedelta

import opsgenie_sdk
import pytest
from django.test import Client

from incidents.alerts import tasks
from incidents.alerts.models import Alert, HeartbeatMonitor
from incidents.alerts.services.heartbeats import heartbeat_monitor_create, heartbeats_check
from incidents.models import Incident, IncidentStatus
from incidents.paging.models import Page
from tests.oncall.factories import make_policy

pytestmark = pytest.mark.django_db


@pytest.fixture
def heartbeat(make_integration, team):
    """``nightly-backup``, every 5 minutes, through an Opsgenie-style integration."""
    integration, key = make_integration(name="Cron")
    monitor = heartbeat_monitor_create(
        actor=None, team=team, name="nightly-backup", interval_seconds=300, integration=integration
    )
    return monitor, key


def ping(name: str, key: str, method: str = "get"):
    return getattr(Client(), method)(
        f"/v2/heartbeats/{name}/ping", HTTP_AUTHORIZATION=f"GenieKey {key}"
    )


def check(committing) -> int:
    """The beat task, as Celery runs it, with what its commits start (pages)."""
    with committing():
        return tasks.heartbeats_check.delay().get()


def test_a_silent_heartbeat_opens_an_incident_and_a_ping_resolves_it(
    clock, committing, team, alice, heartbeat
):
    make_policy(team, [(30, [alice])])
    monitor, key = heartbeat
    response = ping("nightly-backup", key)
    assert response.status_code == 202
    assert response.json()["result"] == "PONG - Heartbeat received"
    assert response.json()["took"] == 0.0 and len(response.json()["requestId"]) == 36

    clock.shift(timedelta(minutes=4, seconds=59))
    assert check(committing) == 0
    assert not Incident.objects.exists()

    clock.shift(timedelta(seconds=2))
    assert check(committing) == 1
    incident = Incident.objects.get()
    assert incident.title == "Heartbeat nightly-backup expired: no ping for 5 minutes"
    assert incident.status == IncidentStatus.TRIGGERED
    assert Alert.objects.get().dedup_key == f"heartbeat:{monitor.pk}"
    assert Page.objects.filter(incident=incident, user=alice).exists()  # the normal engine
    monitor.refresh_from_db()
    assert monitor.expired

    with committing():
        assert ping("nightly-backup", key, "post").status_code == 202
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.RESOLVED
    monitor.refresh_from_db()
    assert not monitor.expired and monitor.expires_at > incident.resolved_at

    # Silent again: a new incident, not the resolved one reopened.
    clock.shift(timedelta(minutes=6))
    assert check(committing) == 1
    assert Incident.objects.count() == 2


def test_running_the_check_twice_opens_one_incident(clock, committing, heartbeat):
    _, key = heartbeat
    ping("nightly-backup", key)
    clock.shift(timedelta(minutes=6))
    assert check(committing) == 1
    assert check(committing) == 0
    clock.shift(timedelta(minutes=30))  # long past another interval: still the one incident
    assert heartbeats_check() == 0
    assert Incident.objects.count() == 1 and Alert.objects.get().count == 1


def test_a_monitor_never_pinged_expires_one_interval_after_creation(clock, committing, heartbeat):
    clock.shift(timedelta(minutes=5, seconds=1))
    assert check(committing) == 1
    assert Incident.objects.get().title.startswith("Heartbeat nightly-backup expired")


def test_disabled_monitors_are_not_checked(clock, committing, heartbeat):
    monitor, _ = heartbeat
    monitor.enabled = False
    monitor.save(update_fields=["enabled"])
    clock.shift(timedelta(hours=1))
    assert check(committing) == 0
    assert not Incident.objects.exists()


def test_pings_that_are_refused(heartbeat, make_integration):
    _, key = heartbeat
    _, other_key = make_integration(name="Other")
    unknown = ping("no-such-heartbeat", key)
    assert unknown.status_code == 404
    assert unknown.json()["message"] == "Heartbeat with name [no-such-heartbeat] does not exist."
    assert ping("nightly-backup", other_key).status_code == 404  # not under this key
    assert ping("nightly-backup", "wrong").status_code == 401
    assert Client().get("/v2/heartbeats/nightly-backup/ping").status_code == 401
    put = Client().put("/v2/heartbeats/nightly-backup/ping", HTTP_AUTHORIZATION=f"GenieKey {key}")
    assert put.status_code == 405
    assert HeartbeatMonitor.objects.get().last_ping_at is None


@pytest.mark.django_db(transaction=True)
def test_the_opsgenie_sdk_pings(live_server, heartbeat):
    monitor, key = heartbeat
    conf = opsgenie_sdk.Configuration()
    conf.host = live_server.url
    conf.api_key["Authorization"] = key
    conf.api_key_prefix["Authorization"] = "GenieKey"
    conf.retry_enabled = False
    answer = opsgenie_sdk.HeartbeatApi(opsgenie_sdk.ApiClient(conf)).ping("nightly-backup")
    assert answer.result == "PONG - Heartbeat received"
    monitor.refresh_from_db()
    assert monitor.last_ping_at is not None


# --- the API ------------------------------------------------------------------------------


def test_managers_create_and_delete_members_read(api, manager, member, team, make_integration):
    integration, _ = make_integration(name="Cron")
    body = {
        "team": team.pk,
        "name": "queue-consumer",
        "interval_seconds": 120,
        "integration": integration.pk,
    }
    assert api.as_user(member).post("/api/v1/heartbeats/", body, format="json").status_code == 403
    created = api.as_user(manager).post("/api/v1/heartbeats/", body, format="json")
    assert created.status_code == 201
    assert created.json()["name"] == "queue-consumer" and created.json()["expired"] is False
    listed = api.as_user(member).get("/api/v1/heartbeats/")
    assert listed.status_code == 200
    assert [m["name"] for m in listed.json()["results"]] == ["queue-consumer"]
    monitor_id = created.json()["id"]
    assert api.as_user(member).delete(f"/api/v1/heartbeats/{monitor_id}/").status_code == 403
    assert api.as_user(manager).delete(f"/api/v1/heartbeats/{monitor_id}/").status_code == 204
    assert not HeartbeatMonitor.objects.exists()


def test_other_teams_see_nothing(api, outsider, heartbeat):
    monitor, _ = heartbeat
    assert api.as_user(outsider).get("/api/v1/heartbeats/").json()["results"] == []
    assert api.as_user(outsider).get(f"/api/v1/heartbeats/{monitor.pk}/").status_code == 404
    assert api.as_user(outsider).delete(f"/api/v1/heartbeats/{monitor.pk}/").status_code == 404


@pytest.mark.parametrize(
    ("change", "status", "field"),
    [
        ({"interval_seconds": 59}, 400, "interval_seconds"),
        ({"name": "a/b"}, 400, "name"),
        ({"name": "nightly-backup"}, 409, "name"),
        ({"colour": "red"}, 400, "colour"),
    ],
)
def test_invalid_monitors_are_refused(api, manager, team, heartbeat, change, status, field):
    monitor, _ = heartbeat
    body = {
        "team": team.pk,
        "name": "other",
        "interval_seconds": 300,
        "integration": monitor.integration_id,
        **change,
    }
    response = api.as_user(manager).post("/api/v1/heartbeats/", body, format="json")
    assert response.status_code == status
    assert field in response.json()["errors"]
    assert HeartbeatMonitor.objects.count() == 1


def test_the_integration_must_be_the_teams(api, outsider, other_team, heartbeat):
    monitor, _ = heartbeat
    body = {
        "team": other_team.pk,
        "name": "x",
        "interval_seconds": 300,
        "integration": monitor.integration_id,
    }
    response = api.as_user(outsider).post("/api/v1/heartbeats/", body, format="json")
    assert response.status_code == 400 and "integration" in response.json()["errors"]
