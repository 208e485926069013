"""Drills through the API and the pages: who may schedule and cancel, what bad input
says, announced and unannounced, a drill that asks for a postmortem, the report as JSON
and Markdown, and list endpoints whose query count does not grow with rows."""

from datetime import timedelta

import pytest
from django.utils import timezone

from incidents import services as incident_services
from incidents.models import Incident, Severity
from outbox.models import Message, MessageStatus
from postmortems.models import Postmortem
from postmortems.services.sla import postmortem_enforce_sla
from readiness.drills import services, tasks
from readiness.drills.models import Drill, DrillFinding, DrillStatus
from readiness.drills.services import ANNOUNCEMENT
from tests.harness.concurrency import race, raised
from tests.incidents.factories import ServiceFactory
from tests.oncall.factories import make_policy

pytestmark = pytest.mark.django_db


def _body(team, **fields):
    return {
        "team": team.pk,
        "title": "Search cluster loses a node",
        "severity": "SEV3",
        "scheduled_at": (timezone.now() + timedelta(hours=2)).isoformat(),
        **fields,
    }


def _drill(manager, team, **fields):
    defaults = {
        "actor": manager,
        "team": team,
        "title": "Search cluster loses a node",
        "severity": Severity.objects.get(name="SEV3"),
        "scheduled_at": timezone.now() + timedelta(minutes=10),
    }
    return services.drill_schedule(**{**defaults, **fields})


def test_a_manager_schedules_a_drill_and_a_member_may_not(api, team, manager, member, clock):
    response = api.as_user(member).post("/api/v1/drills/", _body(team), format="json")
    assert response.status_code == 403
    assert "Only managers of team Payments" in response.json()["detail"]
    response = api.as_user(manager).post("/api/v1/drills/", _body(team), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["status"], body["severity"], body["announced"]) == ("scheduled", "SEV3", True)
    assert body["incident"] is None
    # Announced: the members with an address are e-mailed now.
    addresses = set(Message.objects.filter(purpose=ANNOUNCEMENT).values_list("address", flat=True))
    assert {manager.email, member.email} <= addresses


def test_nothing_a_client_sends_makes_an_incident_a_drill(api, team, member, clock):
    response = api.as_user(member).post(
        "/api/v1/incidents/",
        {"team": team.pk, "title": "Real", "severity": "SEV3", "is_drill": True},
        format="json",
    )
    if response.status_code == 201:
        assert Incident.objects.get(pk=response.json()["id"]).is_drill is False
    else:
        assert response.status_code == 400


def test_an_unannounced_drill_tells_nobody(team, manager, member, clock):
    _drill(manager, team, announced=False)
    assert not Message.objects.filter(purpose=ANNOUNCEMENT).exists()


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"title": " "}, "title"),
        ({"scheduled_at": "2020-01-01T00:00:00Z"}, "scheduled_at"),
        ({"fault_start_url": "http://169.254.169.254/latest/"}, "fault_start_url"),
        ({"severity": "SEV9"}, "severity"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_input_is_a_400_that_names_the_field(
    api, team, manager, clock, settings, fields, field
):
    settings.OUTBOUND_ALLOW_PRIVATE_NETWORKS = False
    response = api.as_user(manager).post("/api/v1/drills/", _body(team, **fields), format="json")
    assert response.status_code == 400, response.json()
    assert field in response.json()["errors"]
    assert not Drill.objects.exists()


def test_another_teams_service_is_refused(api, team, other_team, manager, clock):
    service = ServiceFactory(team=other_team, name="Mobile app", slug="mobile-app")
    response = api.as_user(manager).post(
        "/api/v1/drills/", _body(team, service=service.pk), format="json"
    )
    assert response.status_code == 400
    assert "service" in response.json()["errors"]


def test_another_teams_drill_is_not_found(api, team, manager, outsider, clock):
    drill = _drill(manager, team)
    assert api.as_user(outsider).get(f"/api/v1/drills/{drill.pk}/").status_code == 404
    assert api.as_user(outsider).post(f"/api/v1/drills/{drill.pk}/cancel/").status_code == 404
    assert api.as_user(outsider).get("/api/v1/drills/").json()["results"] == []
    assert api.get(f"/api/v1/drills/?team={team.pk}").json()["results"] == []
    mine = api.as_user(manager).get(f"/api/v1/drills/?team={team.pk}").json()["results"]
    assert [d["id"] for d in mine] == [drill.pk]
    assert api.get("/api/v1/drills/?team=abc").json()["results"] == []


def test_cancelling_drops_the_announcements_and_a_running_drill_cannot_be_cancelled(
    api, team, manager, member, clock, committing
):
    drill = _drill(manager, team)
    assert api.as_user(member).post(f"/api/v1/drills/{drill.pk}/cancel/").status_code == 403
    response = api.as_user(manager).post(f"/api/v1/drills/{drill.pk}/cancel/")
    assert response.status_code == 200 and response.json()["status"] == "cancelled"
    assert set(Message.objects.filter(purpose=ANNOUNCEMENT).values_list("status", flat=True)) == {
        MessageStatus.CANCELLED
    }
    clock.shift(timedelta(hours=1))
    assert tasks.start_due() == 0  # a cancelled drill never starts

    other = _drill(manager, team, scheduled_at=timezone.now())
    with committing():
        tasks.start_due()
    response = api.as_user(manager).post(f"/api/v1/drills/{other.pk}/cancel/")
    assert response.status_code == 409


def test_a_drill_that_asks_for_a_postmortem_gets_one_with_the_sla(
    team, manager, alice, clock, committing
):
    make_policy(team, [(5, [alice])])
    asks = _drill(manager, team, postmortem_required=True, scheduled_at=timezone.now())
    quiet = _drill(manager, team, title="Another", scheduled_at=timezone.now())
    with committing():
        assert tasks.start_due() == 2
    asks.refresh_from_db()
    quiet.refresh_from_db()
    for drill in (asks, quiet):
        incident_services.incident_resolve(incident=drill.incident, actor=alice)
    with committing():
        assert tasks.complete_finished() == 2
    postmortem = Postmortem.objects.get(incident=asks.incident)
    assert postmortem.required and postmortem.due_at is not None
    assert not Postmortem.objects.filter(incident=quiet.incident).exists()
    # Someone starts the other drill's postmortem anyway: no SLA chases it.
    from postmortems.services import postmortem_create_for_incident

    extra = postmortem_create_for_incident(incident=quiet.incident, actor=manager)
    assert extra.required is False
    clock.shift(timedelta(days=5))
    result = postmortem_enforce_sla()
    assert result["breached"] == 1
    postmortem.refresh_from_db()
    extra.refresh_from_db()
    assert postmortem.sla_breached_at is not None and extra.sla_breached_at is None


def _completed(manager, team, alice, clock, committing):
    make_policy(team, [(5, [alice])])
    drill = _drill(manager, team, scheduled_at=timezone.now())
    with committing():
        tasks.start_due()
    drill.refresh_from_db()
    clock.shift(timedelta(hours=2))  # the SEV3 acknowledge target is an hour
    incident_services.incident_resolve(incident=drill.incident, actor=alice)
    with committing():
        tasks.complete_finished()
    drill.refresh_from_db()
    return drill


def test_the_report_as_json_and_markdown_and_a_finding_made_an_action_item(
    api, team, manager, member, alice, clock, committing
):
    drill = _completed(manager, team, alice, clock, committing)
    report = api.as_user(member).get(f"/api/v1/drills/{drill.pk}/").json()
    assert report["drill"]["status"] == "completed"
    assert report["drill"]["incident_reference"] == drill.incident.reference
    measures = {m["key"]: m for m in report["measures"]}
    assert measures["acknowledge"]["met"] is False
    assert measures["acknowledge"]["target_seconds"] == 3600
    keys = {f["measure"] for f in report["findings"]}
    assert {"acknowledge", "runbook", "first_update"} <= keys

    md = api.as_user(member).get(
        f"/api/v1/drills/{drill.pk}/markdown/", HTTP_ACCEPT="text/markdown"
    )
    assert md.status_code == 200 and md["Content-Type"].startswith("text/markdown")
    assert "## Findings" in md.content.decode()

    finding = DrillFinding.objects.get(drill=drill, measure="acknowledge")
    url = f"/api/v1/drills/{drill.pk}/findings/{finding.pk}/action-item/"
    body = {"owner": alice.pk, "priority": "P1", "due_date": "2026-04-01"}
    assert api.as_user(member).post(url, body, format="json").status_code == 403
    response = api.as_user(manager).post(url, body, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["incident"] == drill.incident.pk
    assert response.json()["title"] == finding.title
    assert api.as_user(manager).post(url, body, format="json").status_code == 409
    # A finding of no drill of this one's is "not found", not another drill's finding.
    stranger = f"/api/v1/drills/{drill.pk}/findings/{finding.pk + 1000}/action-item/"
    assert api.as_user(manager).post(stranger, body, format="json").status_code == 404


def test_the_web_report_lists_findings_and_a_manager_promotes_one(
    client, team, manager, alice, clock, committing
):
    drill = _completed(manager, team, alice, clock, committing)
    client.force_login(manager)
    page = client.get(f"/drills/{drill.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Time to acknowledge: not done during the drill" not in html  # resolved = acked
    assert "Time to acknowledge missed the target" in html
    finding = DrillFinding.objects.get(drill=drill, measure="acknowledge")
    prefix = f"finding-{finding.pk}"
    response = client.post(
        f"/drills/{drill.pk}/findings/{finding.pk}/action-item/",
        {
            f"{prefix}-title": "Page the secondary after 30 minutes",
            f"{prefix}-owner": alice.pk,
            f"{prefix}-priority": "P2",
            f"{prefix}-due_date": "2026-04-01",
        },
    )
    assert response.status_code == 302
    finding.refresh_from_db()
    assert finding.action_item.title == "Page the secondary after 30 minutes"
    assert client.get(f"/drills/{drill.pk}/report.md").content.decode().count("action item #") == 1


def test_list_endpoint_and_page_queries_do_not_grow_with_drills(
    api, client, team, manager, clock, django_assert_max_num_queries, committing
):
    def add(n):
        for i in range(n):
            _drill(manager, team, title=f"Drill {i}", announced=False)

    add(2)
    api.as_user(manager)
    client.force_login(manager)
    with django_assert_max_num_queries(8) as few:
        assert api.get("/api/v1/drills/").status_code == 200
    with django_assert_max_num_queries(40) as few_page:
        assert client.get("/drills/").status_code == 200
    add(10)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(api.get("/api/v1/drills/").json()["results"]) == 12
    with django_assert_max_num_queries(len(few_page.captured_queries)):
        assert client.get("/drills/").status_code == 200


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_beats_at_once_start_each_drill_once(team, manager, alice):
    make_policy(team, [(5, [alice])])
    for i in range(3):
        _drill(manager, team, title=f"Drill {i}", announced=False, scheduled_at=timezone.now())
    outcomes = race(3, tasks.start_due)
    assert raised(outcomes) == []
    assert sum(outcomes) == 3
    assert Drill.objects.filter(status=DrillStatus.RUNNING).count() == 3
    assert Incident.objects.filter(is_drill=True).count() == 3


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    from drf_spectacular.generators import SchemaGenerator

    with django_db_blocker.unblock():
        return SchemaGenerator().get_schema(request=None, public=True)


def test_drill_answers_conform_to_the_published_schema(
    api, schema, team, manager, alice, clock, committing
):
    from tests.test_openapi_conformance import conforms

    drill = _completed(manager, team, alice, clock, committing)
    api.as_user(manager)
    created = api.post(
        "/api/v1/drills/",
        _body(team, fault_start_url="https://chaos.example.com/start"),
        format="json",
    )
    conforms(schema, "/api/v1/drills/", "post", 201, created.json())
    conforms(schema, "/api/v1/drills/", "get", 200, api.get("/api/v1/drills/").json())
    report = api.get(f"/api/v1/drills/{drill.pk}/").json()
    conforms(schema, "/api/v1/drills/{id}/", "get", 200, report)
    cancelled = api.post(f"/api/v1/drills/{created.json()['id']}/cancel/").json()
    conforms(schema, "/api/v1/drills/{id}/cancel/", "post", 200, cancelled)
    finding = DrillFinding.objects.filter(drill=drill).first()
    item = api.post(
        f"/api/v1/drills/{drill.pk}/findings/{finding.pk}/action-item/",
        {"owner": alice.pk, "priority": "P1", "due_date": "2026-04-01"},
        format="json",
    ).json()
    conforms(schema, "/api/v1/drills/{id}/findings/{finding_id}/action-item/", "post", 201, item)
