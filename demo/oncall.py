"""A weekly schedule of its members and a default escalation policy (schedule → managers
→ whole team) for a demo team, so its incidents page someone. Idempotent."""

from datetime import time, timedelta

from django.db import transaction
from django.utils import timezone

from oncall.policies.models import EscalationPolicy, EscalationRule, EscalationTarget
from oncall.schedules.models import Schedule, ScheduleLayer, ScheduleLayerMember
from oncall.teams.models import Team, TeamRole


@transaction.atomic
def oncall_demo_seed(*, team: Team) -> tuple[Schedule, EscalationPolicy] | None:
    """The team's "Primary" schedule (a weekly rotation of its members in name order,
    handing off at 09:00 London time, starting last week's Monday) and its "Default" policy,
    made the team's policy if it has none. A team without members gets nothing (None)."""
    members = list(team.memberships.select_related("user").order_by("user__username"))
    if not members:
        return None
    # Last week's Monday: this week's 09:00 handoff may still be ahead (a Monday
    # morning), and someone must be on call from the moment the demo is seeded.
    monday = timezone.localdate() - timedelta(days=timezone.localdate().weekday() + 7)
    schedule, created = Schedule.objects.get_or_create(
        team=team, name="Primary", defaults={"time_zone": "Europe/London"}
    )
    if created:
        layer = ScheduleLayer.objects.create(
            schedule=schedule, name="Weekly", rotation="weekly", handoff_time=time(9), start=monday
        )
        for position, membership in enumerate(members):
            ScheduleLayerMember.objects.create(layer=layer, user=membership.user, position=position)
    policy, created = EscalationPolicy.objects.get_or_create(
        team=team, name="Default", defaults={"repeat": 1}
    )
    if created:
        first = EscalationRule.objects.create(policy=policy, position=0, delay_minutes=5)
        EscalationTarget.objects.create(rule=first, type="schedule", schedule=schedule)
        second = EscalationRule.objects.create(policy=policy, position=1, delay_minutes=10)
        managers = [m.user for m in members if m.role == TeamRole.MANAGER]
        for manager in managers:
            EscalationTarget.objects.create(rule=second, type="user", user=manager)
        if not managers:
            EscalationTarget.objects.create(rule=second, type="team", team=team)
        third = EscalationRule.objects.create(policy=policy, position=2, delay_minutes=15)
        EscalationTarget.objects.create(rule=third, type="team", team=team)
    if team.escalation_policy_id is None:
        team.escalation_policy = policy
        team.save(update_fields=["escalation_policy"])
    return schedule, policy
