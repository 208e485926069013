"""Row locks under real concurrency (PostgreSQL): threads with their own connections
race on one incident."""

import pytest

from common.errors import Conflict
from incidents import services
from incidents.models import Incident, Severity, TimelineEvent
from tests.harness.concurrency import race
from tests.incidents.factories import IncidentFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_concurrent_acknowledges_record_exactly_one(team, member):
    incident = IncidentFactory(team=team, actor=member)
    outcomes = race(2, lambda: services.incident_acknowledge(incident=incident.pk, actor=member))
    assert sorted(type(o).__name__ for o in outcomes) == ["Conflict", "Incident"]
    assert TimelineEvent.objects.filter(incident=incident, kind="acknowledged").count() == 1
    assert incident.history.filter(status="acknowledged").count() == 1


def test_concurrent_declarations_get_distinct_numbers(team, member):
    severity = Severity.objects.get(name="SEV2")
    outcomes = race(
        6,
        lambda: services.incident_create(actor=member, team=team, title="x", severity=severity),
    )
    assert all(isinstance(o, Incident) for o in outcomes), outcomes
    assert sorted(Incident.objects.values_list("number", flat=True)) == [1, 2, 3, 4, 5, 6]


def test_concurrent_requests_with_one_idempotency_key_create_one_incident(team, member):
    severity = Severity.objects.get(name="SEV2")
    outcomes = race(
        4,
        lambda: services.incident_create_idempotent(
            actor=member,
            idempotency_key="retry-1",
            request_hash="h",
            team=team,
            title="x",
            severity=severity,
        ),
    )
    assert Incident.objects.count() == 1
    assert {o[0].pk for o in outcomes} == {Incident.objects.get().pk}
    assert sorted(o[1] for o in outcomes) == [False, True, True, True]


def test_concurrent_resolve_and_status_change_serialize(team, member):
    incident = IncidentFactory(team=team, actor=member)
    services.incident_acknowledge(incident=incident, actor=member)
    outcomes = race(2, lambda: services.incident_resolve(incident=incident.pk, actor=member))
    assert sum(isinstance(o, Conflict) for o in outcomes) == 1
    incident.refresh_from_db()
    assert incident.status == "resolved"
    assert TimelineEvent.objects.filter(incident=incident, kind="resolved").count() == 1
