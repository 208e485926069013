"""Teams and memberships over the API: who may create, see and change what."""

import pytest

from oncall.teams.models import Team, TeamMembership
from tests.oncall.factories import UserFactory

pytestmark = pytest.mark.django_db


URL = "/api/v1/teams/"


def test_only_staff_create_teams(api, staff, member):
    denied = api.as_user(member).post(URL, {"name": "Search"})
    assert denied.status_code == 403
    assert not Team.objects.filter(name="Search").exists()
    created = api.as_user(staff).post(URL, {"name": "Search", "key": "SRCH"})
    assert created.status_code == 201
    assert created.json() | {"id": 0, "created_at": ""} == {
        "id": 0,
        "name": "Search",
        "slug": "search",
        "key": "SRCH",
        "description": "",
        "created_at": "",
    }
    team = Team.objects.get(name="Search")
    assert team.history.get().history_user == staff


def test_duplicate_team_is_409_and_bad_key_is_400(api, staff, team):
    client = api.as_user(staff)
    assert client.post(URL, {"name": "Payments"}).status_code == 409
    bad = client.post(URL, {"name": "Infra", "key": "lower-case"})
    assert bad.status_code == 400
    assert "key" in bad.json()["errors"]


def test_members_see_only_their_teams(api, team, other_team, member, staff):
    assert [t["slug"] for t in api.as_user(member).get(URL).json()["results"]] == ["payments"]
    assert api.as_user(member).get(f"{URL}{other_team.pk}/").status_code == 404
    assert {t["slug"] for t in api.as_user(staff).get(URL).json()["results"]} == {
        "payments",
        "mobile",
    }


def test_manager_adds_changes_and_removes_members(api, team, manager, member):
    newcomer = UserFactory(username="aisha")
    client = api.as_user(manager)
    added = client.post(f"{URL}{team.pk}/members/", {"user": newcomer.pk, "role": "member"})
    assert added.status_code == 201
    assert added.json()["user"] == {"id": newcomer.pk, "username": "aisha"}
    promoted = client.post(f"{URL}{team.pk}/members/", {"user": newcomer.pk, "role": "manager"})
    assert promoted.json()["role"] == "manager"
    listing = client.get(f"{URL}{team.pk}/members/").json()
    assert [(m["user"]["username"], m["role"]) for m in listing] == [
        ("aisha", "manager"),
        ("marco", "member"),
        ("priya", "manager"),
    ]
    assert client.delete(f"{URL}{team.pk}/members/{newcomer.pk}/").status_code == 204
    assert not TeamMembership.objects.filter(team=team, user=newcomer).exists()


def test_members_cannot_manage_membership(api, team, member):
    newcomer = UserFactory(username="aisha")
    client = api.as_user(member)
    assert client.post(f"{URL}{team.pk}/members/", {"user": newcomer.pk}).status_code == 403
    assert client.delete(f"{URL}{team.pk}/members/{member.pk}/").status_code == 403


def test_membership_errors(api, team, manager, outsider, other_team):
    client = api.as_user(manager)
    assert client.post(f"{URL}{team.pk}/members/", {"user": 10**9}).status_code == 400
    bad_role = client.post(f"{URL}{team.pk}/members/", {"user": outsider.pk, "role": "boss"})
    assert bad_role.status_code == 400
    assert "role" in bad_role.json()["errors"]
    assert client.delete(f"{URL}{team.pk}/members/{outsider.pk}/").status_code == 404
    assert client.post(f"{URL}{other_team.pk}/members/", {"user": manager.pk}).status_code == 404
    # The last manager stays.
    last = client.delete(f"{URL}{team.pk}/members/{manager.pk}/")
    assert last.status_code == 409


def test_team_list_query_count(api, staff, django_assert_max_num_queries):
    client = api.as_user(staff)
    for i in range(10):
        Team.objects.create(name=f"T{i}", slug=f"t{i}", key=f"TK{i}")
    with django_assert_max_num_queries(4):
        assert client.get(URL).json()["count"] == 10
