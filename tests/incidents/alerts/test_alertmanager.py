"""Prometheus Alertmanager webhooks: payload handling, and the real Alertmanager."""

import shutil
import socket
import subprocess
import time
from datetime import UTC, datetime, timedelta

import pytest
import requests
from rest_framework.test import APIClient

from incidents.alerts.models import Alert, AlertEvent
from incidents.models import Incident, IncidentStatus

pytestmark = pytest.mark.django_db


def notification(status="firing", alerts=None, group_key='{}:{alertname="HighLatency"}'):
    alerts = alerts or [
        {
            "status": status,
            "labels": {"alertname": "HighLatency", "severity": "critical", "instance": "web-1"},
            "annotations": {"summary": "p99 latency above 2 s on web-1"},
            "startsAt": "2026-03-02T10:00:00Z",
            "endsAt": "0001-01-01T00:00:00Z",
            "generatorURL": "http://prometheus/graph",
            "fingerprint": "a1b2c3",
        }
    ]
    return {
        "version": "4",
        "groupKey": group_key,
        "truncatedAlerts": 0,
        "status": status,
        "receiver": "tocsin",
        "groupLabels": {"alertname": "HighLatency"},
        "commonLabels": {"alertname": "HighLatency", "severity": "critical"},
        "commonAnnotations": {},
        "externalURL": "http://alertmanager:9093",
        "alerts": alerts,
    }


def url(key):
    return f"/api/v1/integrations/{key}/alertmanager/"


def test_group_opens_deduplicates_and_resolves_one_incident(make_integration):
    _, key = make_integration(kind="alertmanager")
    client = APIClient()
    first = client.post(url(key), notification(), format="json")
    assert first.status_code == 202, first.json()
    incident = Incident.objects.get()
    assert incident.title == "p99 latency above 2 s on web-1"
    assert incident.severity.name == "SEV1"  # severity label "critical"
    assert incident.source == "alertmanager"

    assert client.post(url(key), notification(), format="json").status_code == 202
    assert Incident.objects.count() == 1
    alert = Alert.objects.get()
    assert alert.count == 2
    assert alert.name == "HighLatency"
    assert alert.labels == {"alertname": "HighLatency", "severity": "critical"}

    client.post(url(key), notification(status="resolved"), format="json")
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.RESOLVED
    assert AlertEvent.objects.count() == 3


def test_partly_resolved_group_stays_open(make_integration):
    _, key = make_integration(kind="alertmanager")
    client = APIClient()
    client.post(url(key), notification(), format="json")
    mixed = notification(status="firing")
    mixed["alerts"].append({**mixed["alerts"][0], "status": "resolved", "fingerprint": "zz"})
    client.post(url(key), mixed, format="json")
    assert Incident.objects.get().status == IncidentStatus.TRIGGERED


def test_auto_resolve_can_be_turned_off(make_integration):
    _, key = make_integration(kind="alertmanager", auto_resolve=False)
    client = APIClient()
    client.post(url(key), notification(), format="json")
    client.post(url(key), notification(status="resolved"), format="json")
    assert Incident.objects.get().status == IncidentStatus.TRIGGERED


def test_groups_are_separate_incidents(make_integration):
    _, key = make_integration(kind="alertmanager")
    client = APIClient()
    client.post(url(key), notification(group_key="g1"), format="json")
    client.post(url(key), notification(group_key="g2"), format="json")
    assert Incident.objects.count() == 2


def test_very_long_group_key_is_hashed(make_integration):
    _, key = make_integration(kind="alertmanager")
    client = APIClient()
    long_key = "{}:{" + "x" * 400 + "}"
    client.post(url(key), notification(group_key=long_key), format="json")
    client.post(url(key), notification(group_key=long_key), format="json")
    assert Alert.objects.get().count == 2


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"status": "firing"}, "alerts"),
        ({**notification(), "status": "burning"}, "status"),
        ({**notification(), "alerts": [{"labels": {"a": 1}, "status": "firing"}]}, "alerts"),
        ({**notification(), "alerts": [{"labels": {}, "status": "odd"}]}, "alerts"),
        ({**notification(), "groupKey": 5}, "groupKey"),
        ({**notification(), "commonLabels": ["x"]}, "commonLabels"),
        ([1, 2], "non_field_errors"),
    ],
)
def test_invalid_payload_gets_400(make_integration, body, field):
    _, key = make_integration(kind="alertmanager")
    response = APIClient().post(url(key), body, format="json")
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert not Incident.objects.exists()


def test_malformed_json_gets_400(make_integration):
    _, key = make_integration(kind="alertmanager")
    response = APIClient().post(url(key), "{oops", content_type="application/json")
    assert response.status_code == 400
    assert set(response.json()) >= {"detail", "errors"}


def test_unknown_key_gets_404(make_integration):
    make_integration(kind="alertmanager")
    response = APIClient().post(url("f" * 32), notification(), format="json")
    assert response.status_code == 404


ALERTMANAGER = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


@pytest.fixture
def alertmanager(tmp_path):
    """Start Alertmanager on loopback with a webhook receiver URL; yields its API URL."""
    if ALERTMANAGER is None:
        pytest.skip(
            "Prometheus Alertmanager is not installed (Debian package prometheus-alertmanager; "
            ".ci/run installs it)"
        )
    processes = []

    def start(webhook_url: str) -> str:
        port = _free_port()
        config = tmp_path / "alertmanager.yml"
        config.write_text(
            "global:\n"
            "  resolve_timeout: 5s\n"
            "route:\n"
            "  receiver: tocsin\n"
            "  group_by: [alertname]\n"
            "  group_wait: 1s\n"
            "  group_interval: 1s\n"
            "  repeat_interval: 1h\n"
            "receivers:\n"
            "  - name: tocsin\n"
            "    webhook_configs:\n"
            f"      - url: '{webhook_url}'\n"
            "        send_resolved: true\n"
        )
        log = open(tmp_path / "alertmanager.log", "wb")  # noqa: SIM115 - closed below
        process = subprocess.Popen(  # noqa: S603 - a fixed local binary and arguments
            [
                ALERTMANAGER,
                f"--config.file={config}",
                f"--storage.path={tmp_path / 'data'}",
                f"--web.listen-address=127.0.0.1:{port}",
                "--cluster.listen-address=",
                "--log.level=info",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        processes.append((process, log))
        api = f"http://127.0.0.1:{port}"

        def ready():
            if process.poll() is not None:
                raise AssertionError(
                    "Alertmanager exited: " + (tmp_path / "alertmanager.log").read_text()
                )
            try:
                return requests.get(f"{api}/-/ready", timeout=1).status_code == 200
            except requests.ConnectionError:
                return False

        _wait_for(ready, 20, "Alertmanager to start")
        return api

    yield start
    for process, log in processes:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


@pytest.mark.django_db(transaction=True)
def test_real_alertmanager_opens_deduplicates_and_resolves_an_incident(
    live_server, make_integration, alertmanager
):
    _, key = make_integration(kind="alertmanager")
    api = alertmanager(f"{live_server.url}{url(key)}")
    now = datetime.now(UTC)

    def push(instance: str, ends_at: datetime | None = None):
        alert = {
            "labels": {"alertname": "DiskFull", "severity": "warning", "instance": instance},
            "annotations": {"summary": "Disk almost full"},
            "startsAt": (now - timedelta(minutes=1)).isoformat(),
        }
        if ends_at is not None:
            alert["endsAt"] = ends_at.isoformat()
        response = requests.post(f"{api}/api/v2/alerts", json=[alert], timeout=5)
        assert response.status_code == 200, response.text

    push("db-1")
    incident = _wait_for(
        lambda: Incident.objects.filter(source="alertmanager").first(), 30, "the incident"
    )
    assert incident.status == IncidentStatus.TRIGGERED
    assert incident.severity.name == "SEV3"  # severity label "warning"

    # A second alert of the same group: Alertmanager notifies again, same incident.
    push("db-2")
    _wait_for(lambda: AlertEvent.objects.count() >= 2, 30, "the second notification")
    assert Incident.objects.count() == 1
    alert = Alert.objects.get()
    assert alert.name == "DiskFull"
    assert alert.count >= 2
    assert {a["labels"]["instance"] for a in alert.payload["alerts"]} == {"db-1", "db-2"}

    # Both resolve: Alertmanager sends "resolved" and the incident resolves by itself.
    past = datetime.now(UTC) - timedelta(seconds=1)
    push("db-1", ends_at=past)
    push("db-2", ends_at=past)
    _wait_for(
        lambda: Incident.objects.get(pk=incident.pk).status == IncidentStatus.RESOLVED,
        30,
        "the incident to resolve",
    )
    assert Incident.objects.count() == 1


def test_nul_characters_and_deep_nesting_get_400(make_integration):
    _, key = make_integration(kind="alertmanager")
    client = APIClient()
    body = notification()
    body["alerts"][0]["annotations"]["summary"] = "bad\u0000"
    response = client.post(url(key), body, format="json")
    assert response.status_code == 400
    assert "alerts[0].annotations.summary" in response.json()["errors"]
    deep = client.post(url(key), "[" * 100_000 + "]" * 100_000, content_type="application/json")
    assert deep.status_code == 400
    webhook = client.post(
        f"/api/v1/integrations/{key}/webhook/",
        "[" * 100_000 + "]" * 100_000,
        content_type="application/json",
    )
    assert webhook.status_code == 400
