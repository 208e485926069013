"""Error messages about team members name a user id by username only to people who share a
team with that user: a manager of one team must not learn who is behind another team's id."""

from oncall.teams.models import TeamMembership
from tests.oncall.factories import TeamFactory, TeamMembershipFactory, UserFactory


def _layer(users):
    return {"users": users, "rotation": "weekly", "handoff_time": "09:00", "start": "2026-03-02"}


def _schedule_post(client, team, users):
    body = {"team": team.pk, "name": "Primary", "time_zone": "UTC", "layers": [_layer(users)]}
    return client.post("/api/v1/schedules/", body, format="json")


def _policy_post(client, team, user_id):
    body = {
        "team": team.pk,
        "name": "Default",
        "rules": [{"delay_minutes": 5, "targets": [{"type": "user", "id": user_id}]}],
    }
    return client.post("/api/v1/escalation-policies/", body, format="json")


def _messages(response):
    return " ".join(m for ms in response.json()["errors"].values() for m in ms)


def test_schedule_error_names_a_stranger_by_id_only(api, team, manager, outsider):
    response = _schedule_post(api.as_user(manager), team, [outsider.pk])
    assert response.status_code == 400
    text = _messages(response)
    assert f"user {outsider.pk}" in text
    assert outsider.username not in text


def test_policy_error_names_a_stranger_by_id_only(api, team, manager, outsider):
    response = _policy_post(api.as_user(manager), team, outsider.pk)
    assert response.status_code == 400
    text = _messages(response)
    assert f"user {outsider.pk}" in text
    assert outsider.username not in text


def test_someone_sharing_another_team_is_still_named(api, team, manager, outsider):
    # The manager and the outsider meet in a third team: the name is no secret to them.
    shared = TeamFactory(name="Guild")
    TeamMembershipFactory(team=shared, user=manager)
    TeamMembershipFactory(team=shared, user=outsider)
    text = _messages(_schedule_post(api.as_user(manager), team, [outsider.pk]))
    assert f"Payments: {outsider.username}." in text
    text = _messages(_policy_post(api.as_user(manager), team, outsider.pk))
    assert outsider.username in text


def test_former_member_is_named_to_the_team_only_while_they_share_one(api, team, manager):
    leaver = UserFactory(username="leaver", is_active=False)
    TeamMembershipFactory(team=team, user=leaver)
    text = _messages(_schedule_post(api.as_user(manager), team, [leaver.pk]))
    assert "leaver" in text  # still a (deactivated) member of the manager's team
    TeamMembership.objects.filter(user=leaver).delete()
    text = _messages(_schedule_post(api.as_user(manager), team, [leaver.pk]))
    assert "leaver" not in text and f"user {leaver.pk}" in text


def test_staff_see_every_name(api, team, staff, outsider):
    text = _messages(_schedule_post(api.as_user(staff), team, [outsider.pk]))
    assert outsider.username in text
