"""Runbooks attach to incidents by service, alert name, labels and title keywords."""

from functools import partial

import pytest

from incidents import services as incident_services
from runbooks import matching
from runbooks.models import RunbookAttachment
from runbooks.services import runbook_attach_matching
from tests.incidents.factories import ServiceFactory
from tests.runbooks.factories import RunbookFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def declare(declare):
    return partial(declare, title="Something broke", severity="SEV2", commit=False)


@pytest.fixture
def library(team, other_team):
    checkout = ServiceFactory(team=team, name="Checkout", slug="checkout")
    db = ServiceFactory(team=team, name="Database", slug="db")
    return {
        "checkout": checkout,
        "db": db,
        "latency": RunbookFactory(
            team=team,
            title="High latency",
            services=[checkout],
            matchers={"alert_names": ["HighLatency"], "title_keywords": ["latency", "slow"]},
        ),
        "db_outage": RunbookFactory(
            team=team,
            title="Database outage",
            services=[db],
            matchers={"labels": {"component": "postgres", "env": "prod"}},
        ),
        "errors": RunbookFactory(
            team=team, title="High error rate", matchers={"alert_names": ["HighErrorRate"]}
        ),
        "elsewhere": RunbookFactory(
            team=other_team,
            title="Other team's latency",
            matchers={"title_keywords": ["latency"]},
        ),
    }


def titles(incident):
    return [a.runbook.title for a in incident.runbooks.select_related("runbook")]


def test_declaring_attaches_by_service_and_records_a_timeline_event(team, member, library, declare):
    incident = declare(team, member, title="Card payments failing", services=[library["checkout"]])
    [attachment] = incident.runbooks.all()
    assert attachment.runbook == library["latency"]
    assert attachment.matched_by == ["service:checkout"]
    event = incident.timeline.get(kind="runbook_attached")
    assert event.data["title"] == "High latency"
    assert event.data["matched_by"] == ["service:checkout"]


def test_title_keywords_match_only_within_the_team(team, member, library, declare):
    incident = declare(team, member, title="Checkout latency p99 above 4 s")
    assert titles(incident) == ["High latency"]


def test_alert_name_attaches_and_ranks_first(team, member, library, declare):
    incident = declare(team, member, title="Checkout slow", services=[library["checkout"]])
    created = runbook_attach_matching(incident=incident, alert_name="HighErrorRate")
    assert [a.runbook.title for a in created] == ["High error rate"]
    assert titles(incident) == ["High error rate", "High latency"]
    # Same call again: nothing attached twice.
    assert runbook_attach_matching(incident=incident, alert_name="HighErrorRate") == []
    assert RunbookAttachment.objects.filter(incident=incident).count() == 2


def test_labels_match_when_all_runbook_pairs_are_present(team, member, library, declare):
    incident = declare(team, member, title="Replication lag")
    assert runbook_attach_matching(incident=incident, labels={"component": "postgres"}) == []
    [attached] = runbook_attach_matching(
        incident=incident,
        alert_name="PostgresDown",
        labels={"component": "postgres", "env": "prod", "instance": "db-2"},
    )
    assert attached.runbook.title == "Database outage"
    assert attached.matched_by == ["labels:component=postgres,env=prod"]


def test_a_better_later_match_raises_the_score(team, member, library, declare):
    incident = declare(team, member, services=[library["checkout"]])
    before = incident.runbooks.get().score
    runbook_attach_matching(incident=incident, alert_name="HighLatency")
    after = incident.runbooks.get()
    assert after.score > before
    assert after.matched_by == ["alert:HighLatency", "service:checkout"]


def test_changing_the_services_attaches_more(team, member, library, declare):
    incident = declare(team, member)
    assert titles(incident) == []
    incident_services.incident_update(incident=incident, actor=member, services=[library["db"]])
    assert titles(incident) == ["Database outage"]


def test_incident_runbooks_endpoint_lists_best_first(api, team, member, outsider, library, declare):
    incident = declare(team, member, title="Slow checkout", services=[library["checkout"]])
    runbook_attach_matching(incident=incident, alert_name="HighErrorRate")
    response = api.as_user(member).get(f"/api/v1/incidents/{incident.pk}/runbooks/")
    assert response.status_code == 200
    rows = response.json()
    assert [r["runbook"]["title"] for r in rows] == ["High error rate", "High latency"]
    assert "<h2>Overview</h2>" in rows[0]["runbook"]["body_html"]
    assert (
        api.as_user(outsider).get(f"/api/v1/incidents/{incident.pk}/runbooks/").status_code == 404
    )


def test_rank_is_pure_and_ordered():
    r1 = matching.RunbookFacts(1, frozenset({"a"}), frozenset(), {}, ())
    r2 = matching.RunbookFacts(2, frozenset(), frozenset({"X"}), {}, ())
    r3 = matching.RunbookFacts(3, frozenset(), frozenset(), {}, ("nothing",))
    facts = matching.IncidentFacts(title="t", service_slugs=frozenset({"a"}), alert_name="X")
    assert [(m.runbook_id, m.score) for m in matching.rank([r1, r2, r3], facts)] == [
        (2, 8),
        (1, 2),
    ]


def test_at_most_ten_runbooks_attach_best_first(team, member, declare):
    service = ServiceFactory(team=team, name="API", slug="api")
    for n in range(12):
        RunbookFactory(team=team, title=f"Generic {n:02}", services=[service])
    specific = RunbookFactory(
        team=team, title="Specific", services=[service], matchers={"title_keywords": ["disk"]}
    )
    incident = declare(team, member, title="Disk full", services=[service])
    attached = list(incident.runbooks.select_related("runbook"))
    assert len(attached) == 10
    assert attached[0].runbook == specific
    assert incident.timeline.filter(kind="runbook_attached").count() == 10
