"""Services and severities over the API."""

import pytest

from incidents.models import Service
from tests.incidents.factories import ServiceFactory
from tests.oncall.factories import make_policy

pytestmark = pytest.mark.django_db


def test_severities_list_the_matrix(api, member):
    rows = api.as_user(member).get("/api/v1/severities/").json()
    assert [(r["name"], r["ack_target_seconds"], r["resolve_target_seconds"]) for r in rows] == [
        ("SEV1", 300, 3600),
        ("SEV2", 900, 14400),
        ("SEV3", 3600, 259200),
        ("SEV4", 86400, 1209600),
    ]
    assert rows[0]["postmortem_required"] is True
    assert rows[0]["status_page_deadline_seconds"] == 300
    assert rows[2]["update_cadence_seconds"] is None


def test_member_creates_and_edits_a_service_of_their_team(api, team, member):
    client = api.as_user(member)
    created = client.post("/api/v1/services/", {"team": team.pk, "name": "Ledger DB"})
    assert created.status_code == 201
    assert created.json()["slug"] == "ledger-db"
    pk = created.json()["id"]
    edited = client.patch(f"/api/v1/services/{pk}/", {"description": "Primary ledger"})
    assert edited.json()["description"] == "Primary ledger"
    assert (
        client.post("/api/v1/services/", {"team": team.pk, "name": "Ledger DB"}).status_code == 409
    )
    assert Service.objects.get(pk=pk).history.count() == 2


def test_services_are_team_scoped(api, team, other_team, member, outsider):
    mine = ServiceFactory(team=team)
    ServiceFactory(team=other_team)
    client = api.as_user(member)
    assert [s["id"] for s in client.get("/api/v1/services/").json()["results"]] == [mine.pk]
    assert api.as_user(outsider).get(f"/api/v1/services/{mine.pk}/").status_code == 404
    foreign = api.as_user(member).post("/api/v1/services/", {"team": other_team.pk, "name": "X"})
    assert foreign.status_code == 400
    assert "team" in foreign.json()["errors"]


def test_service_list_query_count(api, team, member, django_assert_max_num_queries):
    client = api.as_user(member)
    for _ in range(12):
        ServiceFactory(team=team)
    with django_assert_max_num_queries(4):
        assert client.get("/api/v1/services/").json()["count"] == 12


def test_creating_a_service_keeps_public_and_its_escalation_policy(api, team, other_team, member):
    ours, theirs = make_policy(team, []), make_policy(other_team, [])
    client = api.as_user(member)
    created = client.post(
        "/api/v1/services/",
        {"team": team.pk, "name": "Checkout", "public": True, "escalation_policy": ours.pk},
        format="json",
    )
    assert created.status_code == 201, created.json()
    service = Service.objects.get(pk=created.json()["id"])
    assert (service.public, service.escalation_policy_id) == (True, ours.pk)
    refused = client.post(
        "/api/v1/services/",
        {"team": team.pk, "name": "Ledger", "escalation_policy": theirs.pk},
        format="json",
    )
    assert refused.status_code in (400, 404)
    assert not Service.objects.filter(name="Ledger").exists()
