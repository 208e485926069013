"""The planner on its own (no database, no network): how source shapes become Tocsin's, and
what it reports instead of dropping."""

import datetime

from incidents.imports.bundle import (
    Bundle,
    ImportLayer,
    ImportPerson,
    ImportPolicy,
    ImportPolicyRule,
    ImportRestriction,
    ImportSchedule,
    ImportTarget,
    ImportTeam,
)
from incidents.imports.plan import CREATE, MATCH, SKIP, Current, plan_make, routing_key_problem

UTC = datetime.UTC
NOW = datetime.datetime(2026, 10, 15, 12, tzinfo=UTC)


def _bundle(**parts):
    return Bundle(
        source="pagerduty",
        read_at=NOW,
        people=(
            ImportPerson("P1", "ann@example.com", "Ann"),
            ImportPerson("P2", "ben@example.com"),
        ),
        teams=(ImportTeam("T1", "Payments"),),
        **parts,
    )


def _layer(**fields):
    values = {
        "external_id": "L1",
        "rotation_start": datetime.datetime(2026, 10, 5, 13, tzinfo=UTC),
        "turn_length": datetime.timedelta(days=7),
        "people": ("P1", "P2"),
    }
    values.update(fields)
    return ImportLayer(**values)


def _schedule_plan(*layers, current=None):
    schedule = ImportSchedule("S1", "Primary", "America/New_York", layers=layers, teams=("T1",))
    plan = plan_make(
        bundle=_bundle(schedules=(schedule,)), current=current or Current(), now=NOW, label="PD"
    )
    item = next(i for i in plan.items if i.kind == "schedule")
    return plan, item


def _notes(plan):
    return " | ".join(f"{n.source_ref}: {n.what}: {n.why}" for n in plan.unsupported)


def test_a_weekly_layer_keeps_its_local_handoff():
    _, item = _schedule_plan(_layer())
    (layer,) = item.spec["layers"]
    assert layer["rotation"] == "weekly"
    assert (layer["handoff_time"], layer["start"]) == ("09:00", "2026-10-05")  # 13:00Z = 09:00 EDT
    assert layer["users"] == ["person:P1", "person:P2"]


def test_a_twelve_hour_turn_is_a_custom_rotation_and_ninety_minutes_is_reported():
    _, item = _schedule_plan(_layer(turn_length=datetime.timedelta(hours=12)))
    assert item.spec["layers"][0]["rotation"] == "custom"
    assert item.spec["layers"][0]["shift_length_hours"] == 12
    plan, item = _schedule_plan(_layer(turn_length=datetime.timedelta(minutes=90)))
    assert item.spec["layers"] == []
    assert "turn length of 1:30:00" in _notes(plan)


def test_a_restriction_longer_than_a_day_becomes_one_window_per_day():
    weekend = ImportRestriction(
        weekdays=(5,), start=datetime.time(18), duration_minutes=(2 * 24 + 15) * 60
    )
    _, item = _schedule_plan(_layer(restrictions=(weekend,)))
    # Friday 18:00 → Monday 09:00: Fri and Sat full days from 18:00, then Sun 18:00–09:00.
    assert item.spec["layers"][0]["restrictions"] == [
        {"weekdays": [5, 6], "start": "18:00", "end": "18:00"},
        {"weekdays": [7], "start": "18:00", "end": "09:00"},
    ]


def test_a_layer_starting_inside_a_turn_starts_at_the_next_handoff_with_the_right_person():
    later = datetime.datetime(2026, 10, 22, 12, tzinfo=UTC)  # inside the third turn (P1)
    plan, item = _schedule_plan(_layer(start=later))
    (layer,) = item.spec["layers"]
    assert layer["start"] == "2026-10-26"  # the fourth turn: P2's
    assert layer["users"] == ["person:P2", "person:P1"]
    assert "layer start inside a turn" in _notes(plan)


def test_an_ended_layer_is_left_out_and_a_future_end_is_reported():
    plan, item = _schedule_plan(
        _layer(end=NOW - datetime.timedelta(days=1)),
        _layer(external_id="L2", end=NOW + datetime.timedelta(days=30)),
    )
    assert len(item.spec["layers"]) == 1
    notes = _notes(plan)
    assert "ended layer" in notes and "layer end" in notes


def test_policy_repeats_are_capped_and_foreign_targets_reported():
    policy = ImportPolicy(
        "E1",
        "Escalate",
        rules=(
            ImportPolicyRule(
                targets=(ImportTarget("person", "P1"), ImportTarget("escalation_policy", "X")),
                delay_minutes=0,
            ),
        ),
        repeat=12,
        teams=("T1",),
    )
    plan = plan_make(bundle=_bundle(policies=(policy,)), current=Current(), now=NOW, label="PD")
    item = next(i for i in plan.items if i.kind == "policy")
    assert item.action == CREATE
    assert item.spec["repeat"] == 9
    assert item.spec["rules"] == [
        {
            "delay_minutes": 1,
            "targets": [{"type": "user", "ref": "person:P1"}],
            "high_urgency_only": False,
        }
    ]
    notes = _notes(plan)
    assert "12 repeats" in notes and "'escalation_policy'" in notes and "delay of 0" in notes
    # P1 is paged by the policy, so becomes a member of its team.
    assert any(i.kind == "membership" and i.spec["person"] == "person:P1" for i in plan.items)


def test_people_are_matched_by_email_whatever_the_case():
    current = Current(users_by_email={"ann@example.com": 41}, usernames={"ann"})
    plan = plan_make(bundle=_bundle(), current=current, now=NOW, label="PD")
    people = {i.external_id: i for i in plan.items if i.kind == "person"}
    assert (people["P1"].action, people["P1"].target_id) == (MATCH, 41)
    assert people["P2"].action == CREATE and people["P2"].spec["username"] == "ben"


def test_a_schedule_imported_before_and_unchanged_is_a_match():
    _, first = _schedule_plan(_layer())
    current = Current(imported={("schedule", "S1"): (7, first.fingerprint)})
    _, again = _schedule_plan(_layer(), current=current)
    assert (again.action, again.target_id) == (MATCH, 7)


def test_routing_keys_tocsin_cannot_take():
    assert routing_key_problem("a1b2c3d4e5f60718293a4b5c6d7e8f90") == ""
    assert "no key" in routing_key_problem("")
    assert "longer than 200" in routing_key_problem("k" * 201)
    assert "characters" in routing_key_problem("has/slash")


def test_a_person_without_email_is_skipped():
    bundle = Bundle(source="pagerduty", read_at=NOW, people=(ImportPerson("P9", ""),))
    plan = plan_make(bundle=bundle, current=Current(), now=NOW, label="PD")
    assert plan.items[0].action == SKIP


def test_a_deactivated_account_is_not_put_on_call():
    current = Current(inactive_emails={"ann@example.com"})
    plan = plan_make(bundle=_bundle(), current=current, now=NOW, label="PD")
    ann = next(i for i in plan.items if i.external_id == "P1")
    assert ann.action == SKIP and "deactivated" in ann.reason


def test_two_schedules_with_one_name_in_one_team_are_not_both_created():
    twins = (
        ImportSchedule("S1", "Primary", "UTC", teams=("T1",)),
        ImportSchedule("S2", "Primary", "UTC", teams=("T1",)),
    )
    plan = plan_make(bundle=_bundle(schedules=twins), current=Current(), now=NOW, label="PD")
    actions = {i.external_id: i.action for i in plan.items if i.kind == "schedule"}
    assert actions == {"S1": CREATE, "S2": SKIP}
