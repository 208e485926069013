"""Maintenance windows silence paging: an incident whose services are all under maintenance
when it is declared is recorded (incident, alert, timeline) but nobody is paged."""

import json
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.test import Client

from incidents import services
from incidents.alerts.models import Alert
from incidents.communication.models import MaintenanceWindow
from incidents.models import Incident, Severity, TimelineEventKind
from incidents.paging.models import IncidentEscalation, Page
from tests.incidents.factories import ServiceFactory
from tests.oncall.factories import make_policy, member_of

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


@pytest.fixture
def clock():
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


@pytest.fixture
def alice(team):
    return member_of(team, "alice")


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


def declare(committing, team, services_, member):
    with committing():
        return services.incident_create(
            actor=member,
            team=team,
            title="Checkout errors",
            severity=Severity.objects.get(name="SEV1"),
            services=services_,
        )


def escalation_messages(incident):
    return list(
        incident.timeline.filter(kind=TimelineEventKind.ESCALATION).values_list(
            "message", flat=True
        )
    )


def test_incident_under_maintenance_is_recorded_but_not_paged(
    clock, committing, team, member, policy, checkout
):
    window(team, [checkout], T0 - timedelta(hours=1), T0 + timedelta(hours=2))
    incident = declare(committing, team, [checkout], member)
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
    clock, committing, team, member, policy, checkout, ledger
):
    window(team, [checkout], T0 - timedelta(hours=1), T0 + timedelta(hours=2))
    incident = declare(committing, team, [checkout, ledger], member)
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
    clock, committing, team, member, policy, checkout, starts, ends
):
    window(team, [checkout], T0 + starts, T0 + ends)
    incident = declare(committing, team, [checkout], member)
    assert Page.objects.filter(incident=incident).count() == 1


def test_overlapping_windows_report_the_latest_end(
    clock, committing, team, member, policy, checkout
):
    window(team, [checkout], T0 - timedelta(hours=1), T0 + timedelta(hours=1), title="A")
    window(team, [checkout], T0 - timedelta(minutes=5), T0 + timedelta(hours=3), title="B")
    incident = declare(committing, team, [checkout], member)
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
