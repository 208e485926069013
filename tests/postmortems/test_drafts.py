"""Resolving an incident creates its postmortem draft in the same transaction."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import transaction

from common.errors import Conflict
from incidents import services as incident_services
from incidents.models import Incident, Severity
from postmortems import services
from postmortems.models import Postmortem, PostmortemStatus
from tests.incidents.factories import IncidentFactory

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
pytestmark = pytest.mark.django_db


def test_resolving_a_sev2_creates_the_draft_due_48_hours_later(team, member, manager):
    with time_machine.travel(T0, tick=False):
        incident = IncidentFactory(team=team, actor=member, severity="SEV2", commander=manager)
    with time_machine.travel(T0 + timedelta(minutes=10), tick=False):
        incident_services.incident_acknowledge(incident=incident, actor=member)
        incident_services.incident_add_note(incident=incident, actor=member, message="DB is slow")
    with time_machine.travel(T0 + timedelta(hours=1), tick=False):
        incident_services.incident_resolve(incident=incident, actor=member)

    postmortem = Postmortem.objects.get(incident=incident)
    assert postmortem.status == PostmortemStatus.DRAFT
    assert postmortem.required is True
    assert postmortem.due_at == T0 + timedelta(hours=1) + timedelta(hours=48)
    assert postmortem.owner == manager  # the incident's commander
    entries = list(postmortem.timeline_entries.order_by("occurred_at", "id"))
    assert [e.occurred_at for e in entries] == [
        T0,
        T0 + timedelta(minutes=10),
        T0 + timedelta(minutes=10),
        T0 + timedelta(hours=1),
    ]
    assert entries[2].description == "Note: DB is slow"
    assert all(e.source_event_id for e in entries)
    assert postmortem.history.count() == 1


def test_without_a_commander_the_resolver_owns_the_draft(team, member, manager):
    incident = IncidentFactory(team=team, actor=member, severity="SEV1")
    incident_services.incident_resolve(incident=incident, actor=manager)
    postmortem = Postmortem.objects.get(incident=incident)
    assert postmortem.owner == manager
    assert postmortem.history.get().history_user == manager


def test_resolving_a_sev4_creates_no_postmortem(team, member):
    incident = IncidentFactory(team=team, actor=member, severity="SEV4")
    incident_services.incident_resolve(incident=incident, actor=member)
    assert not Postmortem.objects.filter(incident=incident).exists()


def test_the_draft_is_rolled_back_with_the_resolution(team, member):
    incident = IncidentFactory(team=team, actor=member, severity="SEV1")
    with pytest.raises(RuntimeError), transaction.atomic():
        incident_services.incident_resolve(incident=incident, actor=member)
        assert Postmortem.objects.filter(incident=incident).exists()
        raise RuntimeError("the resolving transaction fails later")
    assert not Postmortem.objects.filter(incident=incident).exists()
    assert Incident.objects.get(pk=incident.pk).status != "resolved"


def test_reopen_and_resolve_again_keeps_one_postmortem_and_moves_due_at(team, member):
    with time_machine.travel(T0, tick=False):
        incident = IncidentFactory(team=team, actor=member, severity="SEV1")
        incident_services.incident_resolve(incident=incident, actor=member)
    with time_machine.travel(T0 + timedelta(hours=5), tick=False):
        incident_services.incident_reopen(incident=incident, actor=member)
    with time_machine.travel(T0 + timedelta(hours=6), tick=False):
        incident_services.incident_resolve(incident=incident, actor=member)
    postmortem = Postmortem.objects.get(incident=incident)
    assert postmortem.due_at == T0 + timedelta(hours=6 + 48)
    # declared, resolved, reopened, resolved
    assert postmortem.timeline_entries.count() == 4


def test_reopening_a_breached_postmortem_does_not_reset_the_clock(team, member):
    with time_machine.travel(T0, tick=False):
        incident = IncidentFactory(team=team, actor=member, severity="SEV1")
        incident_services.incident_resolve(incident=incident, actor=member)
    services.postmortem_enforce_sla(now=T0 + timedelta(hours=49))
    with time_machine.travel(T0 + timedelta(hours=50), tick=False):
        incident_services.incident_reopen(incident=incident, actor=member)
        incident_services.incident_resolve(incident=incident, actor=member)
    postmortem = Postmortem.objects.get(incident=incident)
    assert postmortem.due_at == T0 + timedelta(hours=48)
    assert postmortem.sla_breached_at == T0 + timedelta(hours=49)


def test_any_incident_can_get_a_postmortem_on_request(team, member):
    incident = IncidentFactory(team=team, actor=member, severity="SEV4")
    postmortem = services.postmortem_create_for_incident(incident=incident, actor=member)
    assert postmortem.required is False
    assert postmortem.due_at is None  # set when the incident resolves
    assert postmortem.owner == member
    with pytest.raises(Conflict):
        services.postmortem_create_for_incident(incident=incident, actor=member)
    with time_machine.travel(T0, tick=False):
        incident_services.incident_resolve(incident=incident, actor=member)
    postmortem.refresh_from_db()
    assert postmortem.due_at == T0 + timedelta(hours=48)


def test_the_sla_is_a_setting(team, member, settings):
    settings.POSTMORTEM_SLA_HOURS = 24
    sev3 = Severity.objects.get(name="SEV3")
    sev3.postmortem_required = True
    sev3.save(update_fields=["postmortem_required"])
    with time_machine.travel(T0, tick=False):
        incident = IncidentFactory(team=team, actor=member, severity="SEV3")
        incident_services.incident_resolve(incident=incident, actor=member)
    assert Postmortem.objects.get(incident=incident).due_at == T0 + timedelta(hours=24)


def test_raising_a_resolved_incident_to_sev1_creates_the_draft(team, member):
    with time_machine.travel(T0, tick=False):
        incident = IncidentFactory(team=team, actor=member, severity="SEV3")
        incident_services.incident_resolve(incident=incident, actor=member)
    assert not Postmortem.objects.filter(incident=incident).exists()
    with time_machine.travel(T0 + timedelta(hours=2), tick=False):
        incident_services.incident_update(
            incident=incident, actor=member, severity=Severity.objects.get(name="SEV1")
        )
    postmortem = Postmortem.objects.get(incident=incident)
    assert postmortem.required is True
    assert postmortem.due_at == T0 + timedelta(hours=48)  # from the resolution


def test_raising_an_open_incident_waits_for_resolution(team, member):
    incident = IncidentFactory(team=team, actor=member, severity="SEV3")
    incident_services.incident_update(
        incident=incident, actor=member, severity=Severity.objects.get(name="SEV1")
    )
    assert not Postmortem.objects.filter(incident=incident).exists()
    incident_services.incident_resolve(incident=incident, actor=member)
    assert Postmortem.objects.filter(incident=incident).exists()
