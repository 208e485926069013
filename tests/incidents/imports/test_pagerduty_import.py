"""Importing from PagerDuty: a stand-in of its REST API on 127.0.0.1 (pagination and all),
read through pdpyras, planned, applied; who is on call afterwards is what PagerDuty says."""

import datetime
import io
import json

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from incidents.alerts.models import Integration
from incidents.alerts.services.integrations import integration_by_routing_key
from incidents.imports.models import ImportedObject
from incidents.imports.plan import CREATE, MATCH, SKIP, UPDATE
from incidents.imports.services import import_apply, import_plan
from incidents.imports.sources import SourceError
from incidents.models import Service
from oncall.audit.models import AuditEvent
from oncall.contacts.models import ContactMethod, NotificationRule, OnCallPreference
from oncall.policies.models import EscalationPolicy, EscalationRule, EscalationTarget
from oncall.schedules.models import Schedule, ScheduleLayer, ScheduleOverride
from oncall.schedules.selectors import schedule_oncall_user_id
from oncall.teams.models import Team, TeamMembership
from tests.incidents.imports.pagerduty_standin import (
    ROUTING_KEY,
    TOKEN,
    PagerDutyStandIn,
)
from tests.oncall.factories import UserFactory

UTC = datetime.UTC
NOW = datetime.datetime(2026, 10, 15, 12, 0, tzinfo=UTC)

# 20 instants across the month from 15 October, around the New York change from EDT to
# EST on 1 November 2026 (02:00 EDT becomes 01:00 EST) and the handoffs on either side.
INSTANTS = [
    datetime.datetime(2026, 10, 15, 12, 30, tzinfo=UTC),  # Thu 08:30 EDT: night (Oct 14)
    datetime.datetime(2026, 10, 15, 14, 0, tzinfo=UTC),  # Thu 10:00 EDT: days, week 2
    datetime.datetime(2026, 10, 15, 22, 30, tzinfo=UTC),  # Thu 18:30 EDT: night (Oct 15)
    datetime.datetime(2026, 10, 19, 12, 59, tzinfo=UTC),  # Mon 08:59 EDT: night (Oct 18)
    datetime.datetime(2026, 10, 19, 13, 1, tzinfo=UTC),  # Mon 09:01 EDT: days, week 3
    datetime.datetime(2026, 10, 20, 17, 0, tzinfo=UTC),  # override (Frank)
    datetime.datetime(2026, 10, 21, 3, 0, tzinfo=UTC),  # override over the night
    datetime.datetime(2026, 10, 21, 16, 30, tzinfo=UTC),  # after the override: days
    datetime.datetime(2026, 10, 26, 13, 30, tzinfo=UTC),  # Mon 09:30 EDT: week 4
    datetime.datetime(2026, 10, 31, 21, 59, tzinfo=UTC),  # Sat 17:59 EDT: days
    datetime.datetime(2026, 10, 31, 22, 1, tzinfo=UTC),  # Sat 18:01 EDT: night (Oct 31)
    datetime.datetime(2026, 11, 1, 5, 30, tzinfo=UTC),  # Sun 01:30 EDT (first one)
    datetime.datetime(2026, 11, 1, 6, 30, tzinfo=UTC),  # Sun 01:30 EST (second one)
    datetime.datetime(2026, 11, 1, 13, 30, tzinfo=UTC),  # Sun 08:30 EST: still night
    datetime.datetime(2026, 11, 1, 14, 30, tzinfo=UTC),  # Sun 09:30 EST: days
    datetime.datetime(2026, 11, 1, 23, 30, tzinfo=UTC),  # Sun 18:30 EST: night (Nov 1)
    datetime.datetime(2026, 11, 2, 13, 59, tzinfo=UTC),  # Mon 08:59 EST: night (Nov 1)
    datetime.datetime(2026, 11, 2, 14, 1, tzinfo=UTC),  # Mon 09:01 EST: week 5
    datetime.datetime(2026, 11, 9, 14, 30, tzinfo=UTC),  # Mon 09:30 EST: week 6
    datetime.datetime(2026, 11, 14, 3, 0, tzinfo=UTC),  # Fri 22:00 EST: night (Nov 13)
]


@pytest.fixture
def clock_start():
    return NOW


@pytest.fixture
def standin():
    with PagerDutyStandIn() as server:
        yield server


@pytest.fixture
def grace(db):
    """Already has a Tocsin account: matched by email, not duplicated."""
    return UserFactory(username="grace", email="Grace@example.com")


def _plan(staff, standin):
    return import_plan(actor=staff, source="pagerduty", token=TOKEN, base_url=standin.url)


def _items(plan, kind):
    return {item.external_id: item for item in plan.items if item.kind == kind}


def _source_oncall(standin, at):
    """PagerDuty's own answer, asked of the stand-in's /oncalls."""
    import requests

    response = requests.get(
        f"{standin.url}/oncalls",
        params={
            "since": at.isoformat(),
            "until": (at + datetime.timedelta(seconds=1)).isoformat(),
            "schedule_ids[]": ["PSCHED1"],
        },
        headers={"Authorization": f"Token token={TOKEN}"},
        timeout=10,
    )
    oncalls = response.json()["oncalls"]
    return oncalls[0]["user"]["id"] if oncalls else None


def test_plan_shows_creates_matches_and_what_cannot_be_carried(clock, staff, grace, standin):
    plan = _plan(staff, standin)

    people = _items(plan, "person")
    assert {k: v.action for k, v in people.items()} == {
        "PALICE1": CREATE,
        "PBOB001": CREATE,
        "PCAROL1": CREATE,
        "PDAVE01": CREATE,
        "PERIN01": CREATE,
        "PFRANK1": CREATE,
        "PGRACE1": MATCH,
    }
    assert people["PGRACE1"].target_id == grace.pk
    assert _items(plan, "team")["PTEAM01"].action == CREATE
    primary = _items(plan, "schedule")["PSCHED1"]
    assert primary.action == CREATE
    # Checked against PagerDuty's own final schedule for the next 14 days.
    assert "Who is on call until 2026-10-29 12:00 UTC is the same as in PagerDuty" in (
        primary.reason
    )
    assert "since" in standin.paths("/schedules/PSCHED1")[0]
    overrides = _items(plan, "override")
    assert overrides["POVER01"].action == CREATE
    assert "POVERPAST" not in overrides  # over before now: not even read
    integrations = _items(plan, "integration")
    assert integrations["PINTEV2"].action == CREATE
    notes = " | ".join(f"{n.source_ref}: {n.what}: {n.why}" for n in plan.unsupported)
    assert "push notification contact method" in notes
    assert "round-robin" in notes
    assert "observer" in notes
    assert "generic email inbound integration" in notes
    assert "schedule PSCHED2 layer 1 (PLAYERX): turn length of 1:30:00" in notes
    # The stand-in capped pages at 2: every list was read page by page.
    assert [q["offset"] for q in standin.paths("/users")] == [["0"], ["2"], ["4"], ["6"]]
    assert len(standin.paths("/teams/PTEAM01/members")) == 3
    # Nothing written by planning.
    assert not Team.objects.filter(name="Payments").exists()
    assert get_user_model().objects.count() == 2  # staff and grace


def test_apply_puts_on_call_whoever_pagerduty_has_at_20_instants_across_dst(
    clock, staff, grace, standin
):
    plan = _plan(staff, standin)
    result = import_apply(plan=plan, actor=staff)
    assert result.created["schedule"] == 2
    (event,) = AuditEvent.objects.filter(action="import.applied")
    assert event.actor == staff and event.details["created"]["schedule"] == 2

    schedule = Schedule.objects.get(name="Primary")
    assert schedule.time_zone == "America/New_York"
    assert schedule.team.name == "Payments"
    by_pd_id = {
        row.external_id: row.object_id
        for row in ImportedObject.objects.filter(source="pagerduty", content_type__model="user")
    }
    expected_people = set()
    for at in INSTANTS:
        source_user = _source_oncall(standin, at)
        assert source_user is not None, at
        expected_people.add(source_user)
        assert schedule_oncall_user_id(schedule=schedule, at=at) == by_pd_id[source_user], at
    # The sample reaches every person of both layers and the override.
    assert expected_people == {"PALICE1", "PBOB001", "PCAROL1", "PDAVE01", "PERIN01", "PFRANK1"}


def test_apply_creates_people_teams_policy_service_and_keeps_the_routing_key(
    clock, staff, grace, standin, client
):
    import_apply(plan=_plan(staff, standin), actor=staff)

    alice = get_user_model().objects.get(email="alice@example.com")
    assert alice.is_active and not alice.has_usable_password()
    assert get_user_model().objects.filter(email__iexact="grace@example.com").count() == 1
    assert get_user_model().objects.get(email="erin@example.com").username == "erin"
    methods = {m.kind: m for m in ContactMethod.objects.filter(user=alice)}
    assert set(methods) == {"email", "voice"}
    assert methods["voice"].address == "+14155550100"
    assert methods["voice"].verified_at is None  # proved by a code before it pages
    assert {
        (r.urgency, r.contact_method.kind, r.delay_minutes)
        for r in NotificationRule.objects.filter(user=alice)
    } == {("high", "email", 0), ("high", "voice", 5)}
    assert OnCallPreference.objects.get(user__email="carol@example.com").time_zone == (
        "Europe/Berlin"
    )

    team = Team.objects.get(name="Payments")
    roles = dict(TeamMembership.objects.filter(team=team).values_list("user__email", "role"))
    assert roles["alice@example.com"] == "manager"
    assert roles["frank@example.com"] == "member"
    assert Team.objects.filter(name="PagerDuty import").exists()  # for Odd (no team)

    primary = Schedule.objects.get(name="Primary")
    layers = list(ScheduleLayer.objects.filter(schedule=primary).order_by("position"))
    assert [(lay.name, lay.rotation) for lay in layers] == [("Days", "weekly"), ("Nights", "daily")]
    assert layers[1].restrictions == [
        {"weekdays": [1, 2, 3, 4, 5, 6, 7], "start": "18:00", "end": "09:00"}
    ]
    assert str(layers[0].handoff_time) == "09:00:00" and str(layers[0].start) == "2026-10-05"
    assert ScheduleOverride.objects.filter(schedule=primary).count() == 1
    assert Schedule.objects.get(name="Odd").layers.count() == 0

    policy = EscalationPolicy.objects.get(name="Payments escalation")
    assert policy.team == team and policy.repeat == 2
    rules = list(EscalationRule.objects.filter(policy=policy).order_by("position"))
    assert [r.delay_minutes for r in rules] == [30, 15]
    assert [(t.type, t.schedule_id) for t in EscalationTarget.objects.filter(rule=rules[0])] == [
        ("schedule", primary.pk)
    ]
    assert {t.user.email for t in EscalationTarget.objects.filter(rule=rules[1])} == {
        "alice@example.com",
        "bob@example.com",
    }

    service = Service.objects.get(name="Checkout API")
    assert service.team == team and service.escalation_policy == policy
    integration = integration_by_routing_key(ROUTING_KEY)
    assert integration is not None and integration.service == service
    assert integration.kind == "events_v2"
    # A sender that only changed the base URL is accepted.
    response = client.post(
        "/v2/enqueue",
        data=json.dumps(
            {
                "routing_key": ROUTING_KEY,
                "event_action": "trigger",
                "payload": {"summary": "Checkout errors", "source": "prom", "severity": "critical"},
            }
        ),
        content_type="application/json",
    )
    assert response.status_code == 202, response.content


def test_second_run_changes_nothing(clock, staff, grace, standin):
    import_apply(plan=_plan(staff, standin), actor=staff)
    counted = (
        get_user_model(),
        Team,
        TeamMembership,
        Schedule,
        ScheduleLayer,
        ScheduleOverride,
        EscalationPolicy,
        EscalationRule,
        Service,
        Integration,
        ContactMethod,
        NotificationRule,
    )
    before = {model.__name__: model.objects.count() for model in counted}
    history_before = Schedule.history.count() + EscalationPolicy.history.count()

    again = _plan(staff, standin)
    assert {item.action for item in again.items} <= {MATCH, SKIP}
    assert again.changes == 0
    import_apply(plan=again, actor=staff)

    assert {model.__name__: model.objects.count() for model in counted} == before
    assert Schedule.history.count() + EscalationPolicy.history.count() == history_before


def test_a_schedule_changed_in_the_source_is_updated(clock, staff, grace, standin):
    import_apply(plan=_plan(staff, standin), actor=staff)
    days = standin.data["schedules"][0]["schedule_layers"][1]
    days["users"] = list(reversed(days["users"]))

    plan = _plan(staff, standin)
    item = _items(plan, "schedule")["PSCHED1"]
    assert item.action == UPDATE
    import_apply(plan=plan, actor=staff)

    layer = Schedule.objects.get(name="Primary").layers.get(name="Days")
    assert [m.user.email for m in layer.members.order_by("position")] == [
        "carol@example.com",
        "bob@example.com",
        "alice@example.com",
    ]


def test_an_existing_key_is_not_taken_over(clock, staff, grace, standin, team):
    from incidents.alerts.models import routing_key_hash

    integration = Integration.objects.create(
        team=team,
        name="Mine",
        kind="events_v2",
        routing_key_hash=routing_key_hash(ROUTING_KEY),
        routing_key_hint=ROUTING_KEY[:6],
    )
    plan = _plan(staff, standin)
    item = _items(plan, "integration")["PINTEV2"]
    assert item.action == SKIP and "already has this key" in item.reason
    import_apply(plan=plan, actor=staff)
    assert integration_by_routing_key(ROUTING_KEY) == integration


def test_a_wrong_token_is_a_readable_error(clock, staff, standin):
    with pytest.raises(SourceError, match="refused the token"):
        import_plan(actor=staff, source="pagerduty", token="wrong", base_url=standin.url)


def test_only_staff_import(clock, member, standin):
    from common.errors import AccessDenied

    with pytest.raises(AccessDenied):
        import_plan(actor=member, source="pagerduty", token=TOKEN, base_url=standin.url)


def test_command_plans_by_default_and_applies_with_apply(clock, staff, grace, standin):
    out = io.StringIO()
    call_command(
        "import_oncall",
        "--from",
        "pagerduty",
        "--token",
        TOKEN,
        "--base-url",
        standin.url,
        stdout=out,
    )
    text = out.getvalue()
    assert "create Primary [PSCHED1]" in text
    assert "match  Grace Green [PGRACE1]" in text
    assert "Not carried over" in text
    assert not Schedule.objects.filter(name="Primary").exists()

    out = io.StringIO()
    call_command(
        "import_oncall",
        "--from",
        "pagerduty",
        "--base-url",
        standin.url,
        "--token",
        TOKEN,
        "--apply",
        "--json",
        stdout=out,
    )
    document = json.loads(out.getvalue().split("\nApplied:")[0])
    assert document["source"] == "pagerduty"
    assert Schedule.objects.filter(name="Primary").exists()
    assert "Applied:" in out.getvalue()


def test_command_without_a_token_says_how_to_give_one(clock, staff, monkeypatch):
    monkeypatch.delenv("PAGERDUTY_API_TOKEN", raising=False)
    with pytest.raises(CommandError, match="PAGERDUTY_API_TOKEN"):
        call_command("import_oncall", "--from", "pagerduty")


def test_the_plan_says_when_tocsin_would_differ_from_the_source(clock, staff, grace, standin):
    # The source claims Grace for one hour that the layers give to someone else.
    standin.wrong[datetime.datetime(2026, 10, 16, 15, tzinfo=UTC)] = "PGRACE1"
    plan = _plan(staff, standin)
    assert "differs from PagerDuty" in _items(plan, "schedule")["PSCHED1"].reason
    (note,) = [n for n in plan.unsupported if n.what == "who is on call"]
    assert "first at 2026-10-16 15:00 UTC (PagerDuty: PGRACE1)" in note.why


def test_a_clash_after_the_plan_writes_nothing(clock, staff, grace, standin):
    from common.errors import Conflict

    plan = _plan(staff, standin)
    Team.objects.create(name="Payments", slug="payments-x", key="PAYX")  # made meanwhile
    users_before = get_user_model().objects.count()
    with pytest.raises(Conflict):
        import_apply(plan=plan, actor=staff)
    assert get_user_model().objects.count() == users_before
    assert not Schedule.objects.exists()
    assert not ImportedObject.objects.exists()


def test_a_schedule_of_the_same_name_is_used_as_it_is_even_after_the_source_changes(
    clock, staff, grace, standin, team
):
    mine = Schedule.objects.create(team=team, name="Primary", time_zone="UTC")  # in Payments
    plan = _plan(staff, standin)
    item = _items(plan, "schedule")["PSCHED1"]
    assert (item.action, item.target_id) == (MATCH, mine.pk)
    import_apply(plan=plan, actor=staff)
    days = standin.data["schedules"][0]["schedule_layers"][1]
    days["users"] = list(reversed(days["users"]))

    again = _items(_plan(staff, standin), "schedule")["PSCHED1"]
    assert again.action == MATCH
    assert not mine.layers.exists()
    # The policy's schedule rule pages the matched schedule.
    policy = EscalationPolicy.objects.get(name="Payments escalation")
    assert EscalationTarget.objects.filter(rule__policy=policy, schedule=mine).exists()


def test_a_read_limited_to_a_team_still_brings_everyone_its_rota_names(clock, staff, standin):
    henry = {
        "id": "PHENRY1",
        "type": "user",
        "name": "Henry Hill",
        "email": "henry@example.com",
        "time_zone": "UTC",
        "contact_methods": [],
        "notification_rules": [],
    }
    standin.data["users"].append(henry)  # in no team
    days = standin.data["schedules"][0]["schedule_layers"][1]
    days["users"].append({"user": {"id": "PHENRY1", "type": "user_reference"}})

    plan = import_plan(
        actor=staff,
        source="pagerduty",
        token=TOKEN,
        base_url=standin.url,
        team_ids=("PTEAM01",),
    )
    people = _items(plan, "person")
    assert "PGRACE1" not in people  # not in the team, not on its rota
    assert people["PHENRY1"].action == CREATE
    assert "PSCHED2" not in _items(plan, "schedule")  # in no team: outside the read
    assert standin.paths("/users/PHENRY1")
    memberships = _items(plan, "membership")
    assert memberships["PTEAM01/PHENRY1"].action == CREATE


def test_a_key_tocsin_cannot_take_gets_a_new_one_shown_once(clock, staff, grace, standin):
    service = standin.data["services"][0]
    service["integrations"][0]["integration_key"] = "key with spaces"
    plan = _plan(staff, standin)
    item = _items(plan, "integration")["PINTEV2"]
    assert item.action == CREATE and "new key" in item.reason
    assert "key with spaces" not in json.dumps(plan.to_json())

    result = import_apply(plan=plan, actor=staff)
    ((name, key),) = result.new_keys
    assert name == "Checkout API: Prometheus"
    assert integration_by_routing_key(key).name == name
    assert integration_by_routing_key("key with spaces") is None
