"""The "done when" walk-through: staff build a two-layer schedule with an override and a
three-rule policy in the admin; a SEV1 pages the on-call person at once, escalates on time
while unacknowledged and stops on acknowledge."""

from datetime import UTC, datetime, timedelta

import time_machine
from django.core import mail

from incidents import services
from incidents.paging import tasks
from incidents.paging.models import Page
from oncall.policies.models import EscalationPolicy
from oncall.schedules.models import Schedule
from tests.incidents.factories import IncidentFactory
from tests.oncall.factories import member_of

T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)  # Monday noon


def management(prefix, total, initial=0):
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


def schedule_post(team, layers, overrides=()):
    data = {
        "team": team.pk,
        "name": "Primary",
        "description": "",
        "time_zone": "Europe/London",
        "ical_token": "feed-token-1",
    }
    data |= management("layers", len(layers)) | management("overrides", len(overrides))
    for i, layer in enumerate(layers):
        data |= {f"layers-{i}-{k}": v for k, v in layer.items()}
    for i, (user, start, end) in enumerate(overrides):
        data |= {
            f"overrides-{i}-user": user.pk,
            f"overrides-{i}-start_0": start.strftime("%Y-%m-%d"),
            f"overrides-{i}-start_1": start.strftime("%H:%M:%S"),
            f"overrides-{i}-end_0": end.strftime("%Y-%m-%d"),
            f"overrides-{i}-end_1": end.strftime("%H:%M:%S"),
        }
    return data


def test_staff_builds_schedule_and_policy_in_admin_and_a_sev1_pages_on_time(
    client, staff, team, manager, committing
):
    _alice, bob, carol = (member_of(team, n) for n in ("alice", "bob", "carol"))
    client.force_login(staff)
    assert client.get("/admin/oncall/schedule/add/").status_code == 200
    data = schedule_post(
        team,
        [
            {
                "position": 0,
                "name": "Follow the sun",
                "users_in_order": "alice, bob",
                "rotation": "weekly",
                "handoff_time": "09:00",
                "start": "2026-02-23",
                "restrictions": "[]",
            },
            {
                "position": 1,
                "name": "Business hours",
                "users_in_order": "carol",
                "rotation": "daily",
                "handoff_time": "09:00",
                "start": "2026-02-23",
                "restrictions": '[{"weekdays": [1, 2, 3, 4, 5], "start": "09:00", "end": "17:00"}]',
            },
        ],
        overrides=[(bob, T0 - timedelta(hours=1), T0 + timedelta(hours=1))],
    )
    with time_machine.travel(T0, tick=False):
        response = client.post("/admin/oncall/schedule/add/", data)
    assert response.status_code == 302, response.context["errors"] if response.context else response
    schedule = Schedule.objects.get()
    assert [
        [m.user.username for m in lay.members.order_by("position")]
        for lay in schedule.layers.order_by("position")
    ] == [["alice", "bob"], ["carol"]]
    assert schedule.history.count() == 1

    policy_data = {"team": team.pk, "name": "SEV policy", "description": "", "repeat": 0}
    policy_data |= management("rules", 3)
    policy_data |= {
        "rules-0-position": 0,
        "rules-0-delay_minutes": 5,
        "rules-0-target_schedules": schedule.pk,
    }
    policy_data |= {
        "rules-1-position": 1,
        "rules-1-delay_minutes": 5,
        "rules-1-target_users": carol.pk,
    }
    policy_data |= {
        "rules-2-position": 2,
        "rules-2-delay_minutes": 5,
        "rules-2-target_users": manager.pk,
        "rules-2-target_whole_team": "on",
    }
    response = client.post("/admin/oncall/escalationpolicy/add/", policy_data)
    assert response.status_code == 302
    policy = EscalationPolicy.objects.get()
    assert [r.targets.count() for r in policy.rules.order_by("position")] == [1, 1, 2]
    team.escalation_policy = policy
    team.save()
    for url in (
        f"/admin/oncall/schedule/{schedule.pk}/change/",
        f"/admin/oncall/escalationpolicy/{policy.pk}/change/",
        f"/admin/oncall/schedule/{schedule.pk}/history/",
        "/admin/oncall/contactmethod/",
        "/admin/incidents/page/",
        "/admin/incidents/incidentescalation/",
        "/admin/oncall/handoff/",
    ):
        assert client.get(url).status_code == 200, url
    change = client.get(f"/admin/oncall/schedule/{schedule.pk}/change/").content.decode()
    assert 'value="alice, bob"' in change

    with time_machine.travel(T0, tick=False) as clock:
        with committing():
            incident = IncidentFactory(team=team, severity="SEV1")
        # 12:00 Monday London: the override puts bob on call over both layers.
        assert [(p.user.username, p.level) for p in Page.objects.all()] == [("bob", 1)]
        assert mail.outbox[-1].to == ["bob@example.com"]
        clock.shift(timedelta(minutes=5) - timedelta(seconds=1))
        with committing():
            tasks.run_due_escalations()
        assert Page.objects.count() == 1
        clock.shift(timedelta(seconds=1))
        with committing():
            tasks.run_due_escalations()
        assert [(p.user.username, p.level) for p in Page.objects.order_by("pk")][-1] == ("carol", 2)
        with committing():
            services.incident_acknowledge(incident=incident, actor=carol)
        clock.shift(timedelta(hours=1))
        with committing():
            tasks.run_due_escalations()
        assert Page.objects.count() == 2


def test_admin_rejects_invalid_schedule_and_policy(client, staff, team, outsider):
    member_of(team, "alice")
    client.force_login(staff)
    data = schedule_post(
        team,
        [
            {
                "position": 0,
                "name": "",
                "users_in_order": "alice, olivia",
                "rotation": "custom",
                "handoff_time": "09:00",
                "start": "2026-02-23",
                "restrictions": '[{"weekdays": [9], "start": "9am", "end": "17:00"}]',
            }
        ],
    )
    data["time_zone"] = "Nowhere/Special"
    response = client.post("/admin/oncall/schedule/add/", data)
    assert response.status_code == 200
    text = response.content.decode()
    assert "Unknown time zone" in text
    # The API's own checks (oncall.schedules.services.layers_clean), on the inline form.
    assert f"Not active members of team {team.name}: olivia" in text
    assert "A custom rotation needs a shift length" in text
    assert "ISO weekdays" in text
    assert not Schedule.objects.exists()

    empty = {"team": team.pk, "name": "Empty", "description": "", "repeat": 0} | management(
        "rules", 0
    )
    response = client.post("/admin/oncall/escalationpolicy/add/", empty)
    assert (
        response.status_code == 200
        and "A policy needs at least one rule." in response.content.decode()
    )
    bad = {"team": team.pk, "name": "Bad", "description": "", "repeat": 0} | management("rules", 2)
    bad |= {"rules-0-position": 0, "rules-0-delay_minutes": 0, "rules-0-target_users": outsider.pk}
    bad |= {"rules-1-position": 1, "rules-1-delay_minutes": 5}
    response = client.post("/admin/oncall/escalationpolicy/add/", bad)
    text = response.content.decode()
    assert "greater than or equal to 1" in text  # the field's own check
    # The picker offers only the team's people, so an outsider is not a valid choice.
    assert f"Select a valid choice. {outsider.pk} is not one of the available choices." in text
    assert "A rule needs at least one target." in text
    assert not EscalationPolicy.objects.exists()


def test_policy_admin_pickers_list_only_the_policys_team(client, staff, team, other_team):
    ours = member_of(team, "ours")
    theirs = member_of(other_team, "theirs")
    Schedule.objects.create(team=team, name="Primary", time_zone="UTC", ical_token="t-ours")
    Schedule.objects.create(team=other_team, name="Primary", time_zone="UTC", ical_token="t-theirs")
    policy = EscalationPolicy.objects.create(team=team, name="Default")
    policy.rules.create(position=0, delay_minutes=1)
    client.force_login(staff)
    html = client.get(f"/admin/oncall/escalationpolicy/{policy.pk}/change/").content.decode()
    users = html.split('name="rules-0-target_users"')[1].split("</select>")[0]
    schedules = html.split('name="rules-0-target_schedules"')[1].split("</select>")[0]
    assert ours.username in users and theirs.username not in users
    assert f"Primary ({team.name})" in schedules and other_team.name not in schedules
