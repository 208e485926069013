"""The schedules, escalation-policies and contact-methods API."""

from datetime import UTC, date, datetime, time

import pytest
import time_machine
from icalendar import Calendar

from oncall.policies.models import EscalationPolicy
from oncall.schedules.models import Schedule
from tests.oncall.factories import make_policy, make_schedule

T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)  # Monday


def layer(users, **extra):
    return {
        "users": [u.pk for u in users],
        "rotation": "weekly",
        "handoff_time": "09:00",
        "start": "2026-03-02",
        **extra,
    }


def test_manager_creates_a_two_layer_schedule(api, team, manager, alice, bob):
    body = {
        "team": team.pk,
        "name": "Primary",
        "time_zone": "Europe/London",
        "layers": [
            layer([alice, bob]),
            layer(
                [bob],
                rotation="daily",
                restrictions=[{"weekdays": [1, 2, 3, 4, 5], "start": "09:00", "end": "17:00"}],
            ),
        ],
    }
    response = api.as_user(manager).post("/api/v1/schedules/", body, format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert [lay["users"] for lay in data["layers"]] == [[alice.pk, bob.pk], [bob.pk]]
    assert data["layers"][1]["restrictions"][0]["weekdays"] == [1, 2, 3, 4, 5]
    assert data["layers"][0]["handoff_time"] == "09:00"
    assert "/ical/schedules/" in data["ical_url"]
    schedule = Schedule.objects.get()
    assert schedule.history.count() == 1
    # Monday 12:00 London: layer 2 (business hours) wins: bob; 20:00: layer 1: alice.
    url = f"/api/v1/schedules/{schedule.pk}/oncall/"
    assert api.get(url, {"at": "2026-03-02T12:00:00Z"}).json()["user"]["username"] == "bob"
    night = api.get(url, {"at": "2026-03-02T20:00:00+00:00"}).json()
    assert night == {
        "at": "2026-03-02T20:00:00+00:00",
        "user": {"id": alice.pk, "username": "alice"},
    }


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        ({"time_zone": "Mars/Olympus"}, "time_zone"),
        ({"layers": [{"users": [], "handoff_time": "09:00", "start": "2026-03-02"}]}, "layers"),
        ({"layers": [layer([], rotation="custom")]}, "layers"),
        ({"layers": [{"users": [1], "handoff_time": "25:00", "start": "2026-03-02"}]}, "layers"),
        (
            {
                "layers": [
                    {
                        "users": [1],
                        "handoff_time": "09:00",
                        "start": "2026-03-02",
                        "restrictions": [{"weekdays": [0, 8], "start": "9", "end": "17:00"}],
                    }
                ]
            },
            "layers",
        ),
        ({"name": ""}, "name"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_invalid_schedules_are_400s(api, team, manager, patch, field):
    body = {"team": team.pk, "name": "Primary", **patch}
    response = api.as_user(manager).post("/api/v1/schedules/", body, format="json")
    assert response.status_code == 400, response.json()
    assert any(key.startswith(field) for key in response.json()["errors"])


def test_layer_users_must_belong_to_the_team(api, team, manager, outsider, alice):
    body = {"team": team.pk, "name": "Primary", "layers": [layer([alice, outsider])]}
    response = api.as_user(manager).post("/api/v1/schedules/", body, format="json")
    assert response.status_code == 400
    assert "layers[0].users" in response.json()["errors"]


def test_custom_rotation_without_shift_length_is_400(api, team, manager, alice):
    body = {"team": team.pk, "name": "P", "layers": [layer([alice], rotation="custom")]}
    response = api.as_user(manager).post("/api/v1/schedules/", body, format="json")
    assert response.status_code == 400
    assert "layers[0].shift_length_hours" in response.json()["errors"]


def test_members_cannot_edit_schedules_but_can_add_overrides(api, team, member, alice, bob):
    schedule = make_schedule(
        team,
        [
            {
                "users": [alice],
                "rotation": "weekly",
                "handoff_time": time(9),
                "start": date(2026, 3, 2),
            }
        ],
    )
    client = api.as_user(member)
    assert (
        client.patch(f"/api/v1/schedules/{schedule.pk}/", {"name": "x"}, format="json").status_code
        == 403
    )
    response = client.post(
        f"/api/v1/schedules/{schedule.pk}/overrides/",
        {"user": bob.pk, "start": "2026-03-02T10:00:00Z", "end": "2026-03-02T14:00:00Z"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    at = client.get(f"/api/v1/schedules/{schedule.pk}/oncall/", {"at": "2026-03-02T11:00:00Z"})
    assert at.json()["user"]["username"] == "bob"
    bad = client.post(
        f"/api/v1/schedules/{schedule.pk}/overrides/",
        {"user": bob.pk, "start": "2026-03-02T14:00:00Z", "end": "2026-03-02T10:00:00Z"},
        format="json",
    )
    assert bad.status_code == 400 and "end" in bad.json()["errors"]
    override_id = response.json()["id"]
    assert (
        client.delete(f"/api/v1/schedules/{schedule.pk}/overrides/{override_id}/").status_code
        == 204
    )


def test_shifts_endpoint_merges_and_names_users(api, team, member, alice, bob):
    schedule = make_schedule(
        team,
        [
            {
                "users": [alice, bob],
                "rotation": "daily",
                "handoff_time": time(9),
                "start": date(2026, 3, 2),
            }
        ],
    )
    response = api.as_user(member).get(
        f"/api/v1/schedules/{schedule.pk}/shifts/",
        {"start": "2026-03-02T09:00:00Z", "end": "2026-03-04T09:00:00Z"},
    )
    assert response.json() == [
        {
            "user": {"id": alice.pk, "username": "alice"},
            "start": "2026-03-02T09:00:00Z",
            "end": "2026-03-03T09:00:00Z",
        },
        {
            "user": {"id": bob.pk, "username": "bob"},
            "start": "2026-03-03T09:00:00Z",
            "end": "2026-03-04T09:00:00Z",
        },
    ]
    for params in ({"start": "x", "end": "y"}, {"start": "2026-03-02T09:00:00"}, {}):
        assert api.get(f"/api/v1/schedules/{schedule.pk}/shifts/", params).status_code == 400
    # Well-formed but impossible, or so far out the window overflows: 400s, not 500s.
    for start, end in (
        ("2026-03-02T09:00:00+25:00", "2026-03-04T09:00:00Z"),
        ("0001-01-01T00:00:00+01:00", "0001-01-02T00:00:00Z"),
        ("9999-12-31T00:00:00Z", "9999-12-31T23:00:00-01:00"),
        ("2026-02-30T09:00:00Z", "2026-03-04T09:00:00Z"),
    ):
        response = api.get(f"/api/v1/schedules/{schedule.pk}/shifts/", {"start": start, "end": end})
        assert response.status_code == 400, (start, response.content)
        assert "start" in response.json()["errors"]
        at = api.get(f"/api/v1/schedules/{schedule.pk}/oncall/", {"at": start})
        assert at.status_code == 400, start


def test_schedule_shows_gaps_and_users_without_contact_method(api, team, member, alice, bob):
    bob.email = ""
    bob.save()
    schedule = make_schedule(
        team,
        [
            {
                "users": [alice, bob],
                "rotation": "daily",
                "handoff_time": time(9),
                "start": date(2026, 3, 2),
                "restrictions": [{"weekdays": [1, 2, 3, 4, 5], "start": "09:00", "end": "17:00"}],
            }
        ],
    )
    with time_machine.travel(T0, tick=False):
        data = api.as_user(member).get(f"/api/v1/schedules/{schedule.pk}/").json()
    assert data["users_without_contact_method"] == [{"id": bob.pk, "username": "bob"}]
    assert data["gaps"][0] == {"start": "2026-03-02T17:00:00Z", "end": "2026-03-03T09:00:00Z"}


def test_other_teams_schedules_are_404(api, team, outsider, alice):
    schedule = make_schedule(team, [])
    client = api.as_user(outsider)
    assert client.get(f"/api/v1/schedules/{schedule.pk}/").status_code == 404
    assert client.get(f"/api/v1/schedules/{schedule.pk}/oncall/").status_code == 404
    assert client.get(f"/api/v1/schedules/{schedule.pk}/ical/").status_code == 404
    assert client.get("/api/v1/schedules/").json()["results"] == []


def test_ical_feed_secret_url_works_without_session_and_can_be_revoked(
    api, client, team, manager, alice, bob
):
    schedule = make_schedule(
        team,
        [
            {
                "users": [alice, bob],
                "rotation": "daily",
                "handoff_time": time(9),
                "start": date(2026, 3, 2),
            }
        ],
    )
    with time_machine.travel(T0, tick=False):
        feed = api.as_user(manager).get(f"/api/v1/schedules/{schedule.pk}/").json()["ical_url"]
        path = feed.split("localhost:8000", 1)[1]
        response = client.get(path)
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/calendar")
        calendar = Calendar.from_ical(response.content)
        events = [c for c in calendar.walk("VEVENT")]
        assert any("alice" in str(e["SUMMARY"]) for e in events)
        march_3 = [e for e in events if e.decoded("DTSTART") == datetime(2026, 3, 3, 9, tzinfo=UTC)]
        assert "bob" in str(march_3[0]["SUMMARY"])
        api_ical = api.get(f"/api/v1/schedules/{schedule.pk}/ical/")
        assert api_ical.status_code == 200 and b"BEGIN:VCALENDAR" in api_ical.content
        rotated = api.post(f"/api/v1/schedules/{schedule.pk}/rotate-ical-url/").json()
        assert rotated["ical_url"] != feed
        assert client.get(path).status_code == 404
        assert client.get(rotated["ical_url"].split("localhost:8000", 1)[1]).status_code == 200


def test_my_shifts_feed(api, client, team, member, alice, bob):
    make_schedule(
        team,
        [
            {
                "users": [alice, bob],
                "rotation": "daily",
                "handoff_time": time(9),
                "start": date(2026, 3, 2),
            }
        ],
    )
    with time_machine.travel(T0, tick=False):
        url = api.as_user(alice).get("/api/v1/users/me/oncall-preferences/").json()["ical_url"]
        response = client.get(url.split("localhost:8000", 1)[1])
    events = Calendar.from_ical(response.content).walk("VEVENT")
    assert events and all("alice" in str(e["SUMMARY"]) for e in events)
    rotated = api.post("/api/v1/users/me/oncall-preferences/rotate-ical-url/").json()["ical_url"]
    assert rotated != url
    assert client.get(url.split("localhost:8000", 1)[1]).status_code == 404
    prefs = api.put(
        "/api/v1/users/me/oncall-preferences/",
        {"notify_hours_before_shift": 49, "notify_at_shift_end": True},
        format="json",
    )
    assert prefs.status_code == 400


def test_schedule_list_query_count_does_not_grow(
    api, team, manager, alice, bob, django_assert_max_num_queries
):
    for n in range(6):
        make_schedule(
            team,
            [
                {
                    "users": [alice, bob],
                    "rotation": "daily",
                    "handoff_time": time(9),
                    "start": date(2026, 3, 2),
                }
            ],
            name=f"S{n}",
            overrides=[(bob, T0, T0.replace(hour=15))],
        )
    for n in range(4):
        make_policy(team, [(5, [alice, bob]), (5, [team])], name=f"P{n}", set_default=False)
    client = api.as_user(manager)
    with django_assert_max_num_queries(10):
        assert len(client.get("/api/v1/schedules/").json()["results"]) == 6
    with django_assert_max_num_queries(8):
        assert len(client.get("/api/v1/escalation-policies/").json()["results"]) == 4


# --- escalation policies ------------------------------------------------------------


def test_manager_creates_a_three_rule_policy_and_sets_it_on_team_and_service(
    api, team, manager, alice, bob, service
):
    schedule = make_schedule(team, [])
    body = {
        "team": team.pk,
        "name": "Payments default",
        "repeat": 2,
        "rules": [
            {"delay_minutes": 5, "targets": [{"type": "schedule", "id": schedule.pk}]},
            {"delay_minutes": 10, "targets": [{"type": "user", "id": bob.pk}]},
            {
                "delay_minutes": 15,
                "targets": [{"type": "team", "id": team.pk}],
                "high_urgency_only": True,
            },
        ],
    }
    client = api.as_user(manager)
    response = client.post("/api/v1/escalation-policies/", body, format="json")
    assert response.status_code == 201, response.json()
    # A rule left without ``high_urgency_only`` pages at every urgency.
    assert response.json()["rules"] == [
        {"high_urgency_only": False, **rule} for rule in body["rules"]
    ]
    policy_id = response.json()["id"]
    put = client.put(
        f"/api/v1/teams/{team.pk}/escalation-policy/",
        {"escalation_policy": policy_id},
        format="json",
    )
    assert put.status_code == 200 and put.json()["escalation_policy"] == policy_id
    patched = client.patch(
        f"/api/v1/services/{service.pk}/", {"escalation_policy": policy_id}, format="json"
    )
    assert patched.status_code == 200 and patched.json()["escalation_policy"] == policy_id
    edit = client.patch(
        f"/api/v1/escalation-policies/{policy_id}/",
        {"rules": [{"delay_minutes": 1, "targets": [{"type": "user", "id": alice.pk}]}]},
        format="json",
    )
    assert edit.status_code == 200 and len(edit.json()["rules"]) == 1
    assert EscalationPolicy.objects.get().history.count() >= 1


@pytest.mark.parametrize(
    ("rules", "error_key"),
    [
        ([], "rules"),
        ([{"delay_minutes": 0, "targets": [{"type": "team", "id": "TEAM"}]}], "rules"),
        ([{"delay_minutes": 5, "targets": []}], "rules"),
        ([{"delay_minutes": 5, "targets": [{"type": "pager", "id": 1}]}], "rules"),
        (
            [{"delay_minutes": 5, "targets": [{"type": "user", "id": "OUTSIDER"}]}],
            "rules[0].targets[0]",
        ),
        (
            [{"delay_minutes": 5, "targets": [{"type": "team", "id": "OTHER_TEAM"}]}],
            "rules[0].targets[0]",
        ),
        ("not a list", "rules"),
    ],
)
def test_invalid_policies_are_400s(api, team, other_team, manager, outsider, rules, error_key):
    def fill(value):
        if value == "OUTSIDER":
            return outsider.pk
        if value == "OTHER_TEAM":
            return other_team.pk
        if value == "TEAM":
            return team.pk
        return value

    if isinstance(rules, list):
        for rule in rules:
            for target in rule["targets"]:
                target["id"] = fill(target["id"])
    body = {"team": team.pk, "name": "P", "rules": rules}
    response = api.as_user(manager).post("/api/v1/escalation-policies/", body, format="json")
    assert response.status_code == 400, response.json()
    assert any(key.startswith(error_key) for key in response.json()["errors"]), response.json()


def test_repeat_out_of_range_is_400_and_other_team_is_404(api, team, manager, outsider, alice):
    rules = [{"delay_minutes": 5, "targets": [{"type": "user", "id": alice.pk}]}]
    client = api.as_user(manager)
    response = client.post(
        "/api/v1/escalation-policies/",
        {"team": team.pk, "name": "P", "repeat": 10, "rules": rules},
        format="json",
    )
    assert response.status_code == 400 and "repeat" in response.json()["errors"]
    policy = make_policy(team, [(5, [alice])])
    assert api.as_user(outsider).get(f"/api/v1/escalation-policies/{policy.pk}/").status_code == 404
    assert (
        api.as_user(outsider)
        .post(
            "/api/v1/escalation-policies/",
            {"team": team.pk, "name": "P", "rules": rules},
            format="json",
        )
        .status_code
        == 404
    )


# --- contact methods ----------------------------------------------------------------


def test_contact_methods_crud(api, alice, outsider):
    client = api.as_user(alice)
    created = client.post(
        "/api/v1/users/me/contact-methods/",
        {"kind": "webhook", "address": "http://127.0.0.1:9/hook", "secret": "k"},
        format="json",
    )
    assert created.status_code == 201, created.json()
    method = created.json()
    assert method["has_secret"] is True and "secret" not in method
    assert (
        client.post(
            "/api/v1/users/me/contact-methods/", {"kind": "email", "address": "nope"}, format="json"
        ).status_code
        == 400
    )
    assert (
        client.post(
            "/api/v1/users/me/contact-methods/", {"kind": "sms", "address": "+1"}, format="json"
        ).status_code
        == 400
    )
    email = client.post(
        "/api/v1/users/me/contact-methods/",
        {"kind": "email", "address": "a@example.com"},
        format="json",
    ).json()
    assert email["min_interval_seconds"] == 60
    assert len(client.get("/api/v1/users/me/contact-methods/").json()) == 2
    assert (
        api.as_user(outsider).get(f"/api/v1/users/me/contact-methods/{method['id']}/").status_code
        == 404
    )
    patched = api.as_user(alice).patch(
        f"/api/v1/users/me/contact-methods/{method['id']}/", {"enabled": False}, format="json"
    )
    assert patched.json()["enabled"] is False
    assert client.delete(f"/api/v1/users/me/contact-methods/{method['id']}/").status_code == 204


def test_my_feed_on_two_teams_primary_rotas_has_distinct_uids_and_whole_shifts(
    api, client, team, other_team, alice, bob, outsider
):
    other_team.memberships.create(user=alice)
    weekly = {"rotation": "weekly", "handoff_time": time(9)}
    make_schedule(team, [{**weekly, "users": [alice, bob], "start": date(2026, 3, 2)}])
    make_schedule(other_team, [{**weekly, "users": [alice, outsider], "start": date(2026, 3, 2)}])
    with time_machine.travel(T0, tick=False):
        url = api.as_user(alice).get("/api/v1/users/me/oncall-preferences/").json()["ical_url"]
        events = Calendar.from_ical(client.get(url.split("localhost:8000", 1)[1]).content).walk(
            "VEVENT"
        )
    uids = [str(e["UID"]) for e in events]
    assert len(uids) == len(set(uids))
    assert {str(e["SUMMARY"]) for e in events} == {
        f"On call: alice ({team.name}: Primary)",
        f"On call: alice ({other_team.name}: Primary)",
    }
    # Every shift starts and ends at a 09:00 handoff: none is cut at the feed's window.
    for event in events:
        for edge in (event.decoded("DTSTART"), event.decoded("DTEND")):
            assert (edge.hour, edge.minute) == (9, 0), edge
