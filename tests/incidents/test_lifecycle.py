"""The incident lifecycle through incidents.services: forward moves, acknowledgement,
conflicts, reopen, timeline events and history."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from common.errors import AccessDenied, Conflict, InvalidInput
from incidents import services
from incidents.models import Incident, IncidentStatus, Severity, TimelineEventKind
from tests.incidents.factories import IncidentFactory, ServiceFactory

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
pytestmark = pytest.mark.django_db


def sev(name: str) -> Severity:
    return Severity.objects.get(name=name)


def test_severity_matrix_is_seeded_with_the_product_defaults():
    rows = {
        s.name: (
            s.ack_target,
            s.resolve_target,
            s.postmortem_required,
            s.status_page_deadline,
            s.update_cadence,
        )
        for s in Severity.objects.all()
    }
    assert rows == {
        "SEV1": (
            timedelta(minutes=5),
            timedelta(hours=1),
            True,
            timedelta(minutes=5),
            timedelta(minutes=15),
        ),
        "SEV2": (
            timedelta(minutes=15),
            timedelta(hours=4),
            True,
            timedelta(minutes=5),
            timedelta(minutes=15),
        ),
        "SEV3": (timedelta(hours=1), timedelta(days=3), False, None, None),
        "SEV4": (timedelta(hours=24), timedelta(days=14), False, None, None),
    }


def test_incidents_are_numbered_per_team(team, other_team, member, outsider):
    first = IncidentFactory(team=team, actor=member)
    second = IncidentFactory(team=team, actor=member)
    elsewhere = IncidentFactory(team=other_team, actor=outsider)
    assert (first.number, second.number, elsewhere.number) == (1, 2, 1)
    assert second.reference == "PAY-2"
    assert elsewhere.reference == "MOB-1"


def test_declaring_records_a_timeline_event_and_history(team, member, service):
    with time_machine.travel(T0, tick=False):
        incident = services.incident_create(
            actor=member,
            team=team,
            title="Checkout down",
            severity=sev("SEV1"),
            commander=member,
            services=[service],
        )
    assert incident.status == IncidentStatus.TRIGGERED
    assert incident.triggered_at == T0
    event = incident.timeline.get()
    assert event.kind == TimelineEventKind.DECLARED
    assert event.actor == member
    assert event.data["severity"] == "SEV1"
    assert event.data["services"] == ["checkout-api"]
    assert incident.history.count() == 1
    assert incident.history.first().history_user == member


def test_acknowledge_sets_acknowledged_at_once(incident, member):
    with time_machine.travel(T0, tick=False):
        services.incident_acknowledge(incident=incident, actor=member)
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.ACKNOWLEDGED
    assert incident.acknowledged_at == T0
    with pytest.raises(Conflict, match="already acknowledged"):
        services.incident_acknowledge(incident=incident, actor=member)
    assert incident.timeline.filter(kind=TimelineEventKind.ACKNOWLEDGED).count() == 1


def test_acknowledging_an_incident_past_triggered_is_a_conflict(incident, member):
    services.incident_set_status(incident=incident, to_status="investigating", actor=member)
    with pytest.raises(Conflict) as excinfo:
        services.incident_acknowledge(incident=incident, actor=member)
    assert "Only a triggered incident can be acknowledged" in excinfo.value.detail
    assert excinfo.value.extra["allowed"] == ["identified", "monitoring", "resolved"]


def test_skipping_acknowledged_still_sets_acknowledged_at(incident, member):
    with time_machine.travel(T0, tick=False):
        services.incident_set_status(incident=incident, to_status="identified", actor=member)
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.IDENTIFIED
    assert incident.acknowledged_at == T0
    event = incident.timeline.get(kind=TimelineEventKind.STATUS_CHANGED)
    assert event.data == {"from": "triggered", "to": "identified", "acknowledged": True}


def test_full_forward_lifecycle_records_every_step(team, member):
    with time_machine.travel(T0, tick=False):
        incident = IncidentFactory(team=team, actor=member)
    times = {}
    for minute, status in enumerate(
        ["acknowledged", "investigating", "identified", "monitoring", "resolved"], start=1
    ):
        moment = T0 + timedelta(minutes=minute)
        times[status] = moment
        with time_machine.travel(moment, tick=False):
            services.incident_transition(
                incident=incident, to_status=status, actor=member, message=f"now {status}"
            )
    incident.refresh_from_db()
    assert incident.acknowledged_at == times["acknowledged"]
    assert incident.resolved_at == times["resolved"]
    assert incident.resolution == "fixed"
    kinds = list(incident.timeline.values_list("kind", "data__from", "data__to"))
    assert kinds == [
        ("declared", None, None),
        ("acknowledged", "triggered", "acknowledged"),
        ("status_changed", "acknowledged", "investigating"),
        ("status_changed", "investigating", "identified"),
        ("status_changed", "identified", "monitoring"),
        ("resolved", "monitoring", "resolved"),
    ]
    assert list(incident.history.order_by("history_date").values_list("status", flat=True)) == [
        "triggered",
        "acknowledged",
        "investigating",
        "identified",
        "monitoring",
        "resolved",
    ]


def test_moving_backwards_is_refused_and_names_allowed_statuses(incident, member):
    services.incident_set_status(incident=incident, to_status="monitoring", actor=member)
    with pytest.raises(Conflict) as excinfo:
        services.incident_set_status(incident=incident, to_status="investigating", actor=member)
    assert "back to investigating" in excinfo.value.detail
    assert "Allowed next statuses: resolved" in excinfo.value.detail
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.MONITORING


def test_resolved_incident_only_leaves_through_reopen(incident, member):
    services.incident_resolve(incident=incident, actor=member, resolution="false_positive")
    with pytest.raises(Conflict, match="reopen it first"):
        services.incident_set_status(incident=incident, to_status="monitoring", actor=member)
    with time_machine.travel(T0, tick=False):
        services.incident_reopen(incident=incident, actor=member, message="It is back")
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.TRIGGERED
    assert incident.resolved_at is None
    assert incident.resolution == ""
    assert incident.reopen_count == 1
    # The first acknowledgement stays on record (MTTA measures the first response).
    assert incident.acknowledged_at is not None
    reopened = incident.timeline.get(kind=TimelineEventKind.REOPENED)
    assert reopened.message == "It is back"
    assert reopened.data == {"from": "resolved", "to": "triggered"}


def test_reopen_of_an_open_incident_is_a_conflict(incident, member):
    with pytest.raises(Conflict, match="Only a resolved incident can be reopened"):
        services.incident_reopen(incident=incident, actor=member)


def test_unknown_status_and_resolution_are_invalid_input(incident, member):
    with pytest.raises(InvalidInput):
        services.incident_set_status(incident=incident, to_status="exploded", actor=member)
    with pytest.raises(InvalidInput):
        services.incident_resolve(incident=incident, actor=member, resolution="shrug")


def test_outsider_cannot_change_another_teams_incident(incident, outsider):
    with pytest.raises(AccessDenied):
        services.incident_acknowledge(incident=incident, actor=outsider)
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.TRIGGERED


def test_update_records_old_and_new_values(incident, member, manager, team):
    svc = ServiceFactory(team=team, slug="ledger")
    services.incident_update(
        incident=incident,
        actor=member,
        severity=sev("SEV1"),
        commander=manager,
        title="Ledger writes failing",
        services=[svc],
    )
    incident.refresh_from_db()
    assert incident.severity.name == "SEV1"
    assert incident.commander == manager
    events = {e.kind: e for e in incident.timeline.exclude(kind="declared")}
    assert events["severity_changed"].data == {"from": "SEV2", "to": "SEV1"}
    assert events["role_assigned"].data == {"role": "commander", "from": None, "to": "priya"}
    assert events["updated"].data["changes"]["services"] == [[], ["ledger"]]
    assert events["updated"].data["changes"]["title"][1] == "Ledger writes failing"


def test_update_refuses_status_and_people_outside_the_team(incident, member, outsider):
    with pytest.raises(InvalidInput):
        services.incident_update(incident=incident, actor=member, status="resolved")
    with pytest.raises(InvalidInput) as excinfo:
        services.incident_update(incident=incident, actor=member, commander=outsider)
    assert "commander" in excinfo.value.errors


def test_services_of_another_team_are_refused(team, member, other_team):
    foreign = ServiceFactory(team=other_team)
    with pytest.raises(InvalidInput):
        services.incident_create(
            actor=member, team=team, title="x", severity=sev("SEV3"), services=[foreign]
        )
    assert not Incident.objects.exists()


def test_database_refuses_inconsistent_resolved_at(incident):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Incident.objects.filter(pk=incident.pk).update(status="resolved")
