"""Maintenance windows silence paging: an incident whose services are all under maintenance
when it is declared is recorded (incident, alert, timeline) but nobody is paged."""

import json
from datetime import timedelta
from functools import partial

import pytest
from django.core import mail
from django.test import Client

from incidents.alerts.models import Alert
from incidents.models import Incident, MaintenanceWindow, TimelineEventKind
from incidents.paging.models import IncidentEscalation, Page
from tests.harness.clock import T0
from tests.incidents.factories import ServiceFactory
from tests.oncall.factories import make_policy


@pytest.fixture
def policy(team, alice):
    return make_policy(team, [(5, [alice])])


@pytest.fixture
def checkout(team):
    return ServiceFactory(team=team, name="Checkout", slug="checkout")


@pytest.fixture
def ledger(team):
    return ServiceFactory(team=team, name="Ledger", slug="ledger")


def window(team, services, starts_at, ends_at, title="DB upgrade"):
    w = MaintenanceWindow.objects.create(
        team=team, title=title, starts_at=starts_at, ends_at=ends_at
    )
    w.services.set(services)
    return w


@pytest.fixture
def declare(declare):
    return partial(declare, title="Checkout errors")


def escalation_messages(incident):
    return list(
        incident.timeline.filter(kind=TimelineEventKind.ESCALATION).values_list(
            "message", flat=True
        )
    )


def test_incident_under_maintenance_is_recorded_but_not_paged(
    clock, committing, team, member, policy, checkout, declare
):
    window(team, [checkout], T0 - timedelta(hours=1), T0 + timedelta(hours=2))
    incident = declare(team, member, services=[checkout])
    assert Incident.objects.filter(pk=incident.pk).exists()
    assert not Page.objects.exists()
    assert mail.outbox == []
    assert not IncidentEscalation.objects.filter(incident=incident).exists()
    assert escalation_messages(incident) == [
        "Not paged: Checkout under maintenance until 2026-03-02 12:00 UTC."
    ]
    event = incident.timeline.get(kind=TimelineEventKind.ESCALATION)
    assert event.data["event"] == "not_paged_maintenance"
    assert event.data["services"] == [
        {"id": checkout.pk, "name": "Checkout", "until": "2026-03-02T12:00:00+00:00"}
    ]


def test_one_service_outside_maintenance_still_pages(
    clock, committing, team, member, policy, checkout, ledger, declare
):
    window(team, [checkout], T0 - timedelta(hours=1), T0 + timedelta(hours=2))
    incident = declare(team, member, services=[checkout, ledger])
    assert [p.user.username for p in Page.objects.filter(incident=incident)] == ["alice"]
    assert not any(m.startswith("Not paged") for m in escalation_messages(incident))


@pytest.mark.parametrize(
    "starts, ends",
    [
        (timedelta(hours=-3), timedelta(0)),  # ended exactly now
        (timedelta(seconds=1), timedelta(hours=1)),  # starts in a second
    ],
)
def test_a_window_that_is_not_active_at_declaration_does_not_silence(
    clock, committing, team, member, policy, checkout, starts, ends, declare
):
    window(team, [checkout], T0 + starts, T0 + ends)
    incident = declare(team, member, services=[checkout])
    assert Page.objects.filter(incident=incident).count() == 1


def test_overlapping_windows_report_the_latest_end(
    clock, committing, team, member, policy, checkout, declare
):
    window(team, [checkout], T0 - timedelta(hours=1), T0 + timedelta(hours=1), title="A")
    window(team, [checkout], T0 - timedelta(minutes=5), T0 + timedelta(hours=3), title="B")
    incident = declare(team, member, services=[checkout])
    assert escalation_messages(incident) == [
        "Not paged: Checkout under maintenance until 2026-03-02 13:00 UTC."
    ]


def test_events_api_alert_under_maintenance_keeps_the_alert_and_pages_nobody(
    clock, committing, team, policy, checkout, make_integration
):
    window(team, [checkout], T0 - timedelta(minutes=10), T0 + timedelta(minutes=50))
    _, key = make_integration(name="Prometheus", service=checkout)
    body = {
        "routing_key": key,
        "event_action": "trigger",
        "dedup_key": "checkout-5xx",
        "payload": {"summary": "Checkout 5xx above 2%", "source": "lb1", "severity": "critical"},
    }
    with committing():
        response = Client().post(
            "/v2/enqueue", data=json.dumps(body), content_type="application/json"
        )
    assert response.status_code == 202, response.content
    alert = Alert.objects.get()
    incident = Incident.objects.get()
    assert alert.incident_id == incident.pk
    assert list(incident.services.values_list("slug", flat=True)) == ["checkout"]
    assert not Page.objects.exists()
    assert mail.outbox == []
    assert escalation_messages(incident) == [
        "Not paged: Checkout under maintenance until 2026-03-02 10:50 UTC."
    ]

    # After the window the same kind of alert pages as usual.
    clock.move_to(T0 + timedelta(hours=1))
    body["dedup_key"] = "checkout-5xx-again"
    with committing():
        Client().post("/v2/enqueue", data=json.dumps(body), content_type="application/json")
    assert [p.user.username for p in Page.objects.all()] == ["alice"]
