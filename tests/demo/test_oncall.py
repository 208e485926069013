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
