"""The demo's on-call: a schedule and a default policy per team, made idempotently."""

from demo.oncall import oncall_demo_seed
from oncall.policies.models import EscalationPolicy
from oncall.schedules.models import Schedule
from tests.oncall.factories import member_of


def test_oncall_demo_seed_is_idempotent(team, manager):
    member_of(team, "alice")
    member_of(team, "bob")
    assert oncall_demo_seed(team=team) is not None
    assert oncall_demo_seed(team=team) is not None
    team.refresh_from_db()
    assert Schedule.objects.filter(team=team).count() == 1
    policy = EscalationPolicy.objects.get(team=team)
    assert team.escalation_policy == policy
    assert policy.rules.count() == 3
    # One weekly layer rotating through every member in name order.
    layer = Schedule.objects.get(team=team).layers.get()
    assert list(layer.members.order_by("position").values_list("user__username", flat=True)) == [
        "alice",
        "bob",
        "priya",
    ]


def test_somebody_is_on_call_as_soon_as_the_demo_is_seeded_even_on_a_monday_morning(team, manager):
    import datetime

    import time_machine

    from oncall.schedules.selectors import schedule_oncall_user_id

    member_of(team, "alice")
    # Monday 07:00 in London: before the week's 09:00 handoff.
    with time_machine.travel(datetime.datetime(2026, 3, 9, 7, 0, tzinfo=datetime.UTC), tick=False):
        schedule, _policy = oncall_demo_seed(team=team)
        assert schedule_oncall_user_id(schedule=schedule) is not None
