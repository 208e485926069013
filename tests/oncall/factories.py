import factory
from django.contrib.auth import get_user_model

from oncall.teams.models import Team, TeamMembership


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.django.Password("pw-for-tests")


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    name = factory.Sequence(lambda n: f"Team {n}")
    slug = factory.Sequence(lambda n: f"team-{n}")
    key = factory.Sequence(lambda n: f"T{n}")


class TeamMembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TeamMembership

    team = factory.SubFactory(TeamFactory)
    user = factory.SubFactory(UserFactory)
    role = "member"


def make_policy(team, rules, *, repeat=0, name="Default", set_default=True):
    """rules: [(delay_minutes, [target, ...])] where a target is a User, Schedule or Team."""
    from oncall.policies.models import EscalationPolicy, EscalationRule, EscalationTarget
    from oncall.schedules.models import Schedule

    policy = EscalationPolicy.objects.create(team=team, name=name, repeat=repeat)
    for position, (delay, targets) in enumerate(rules):
        rule = EscalationRule.objects.create(policy=policy, position=position, delay_minutes=delay)
        for target in targets:
            if isinstance(target, Schedule):
                EscalationTarget.objects.create(rule=rule, type="schedule", schedule=target)
            elif isinstance(target, Team):
                EscalationTarget.objects.create(rule=rule, type="team", team=target)
            else:
                EscalationTarget.objects.create(rule=rule, type="user", user=target)
    if set_default:
        team.escalation_policy = policy
        team.save(update_fields=["escalation_policy"])
    return policy


def make_schedule(team, layers, *, name="Primary", time_zone="UTC", overrides=()):
    """layers: [dict(users=[...], rotation=..., handoff_time=..., start=..., ...)]."""
    from oncall.schedules.models import (
        Schedule,
        ScheduleLayer,
        ScheduleLayerMember,
        ScheduleOverride,
    )

    schedule = Schedule.objects.create(team=team, name=name, time_zone=time_zone)
    for position, spec in enumerate(layers):
        spec = dict(spec)
        users = spec.pop("users")
        layer = ScheduleLayer.objects.create(schedule=schedule, position=position, **spec)
        for index, user in enumerate(users):
            ScheduleLayerMember.objects.create(layer=layer, user=user, position=index)
    for user, start, end in overrides:
        ScheduleOverride.objects.create(schedule=schedule, user=user, start=start, end=end)
    return schedule


def member_of(team, username, role="member", **fields):
    user = UserFactory(username=username, **fields)
    TeamMembershipFactory(team=team, user=user, role=role)
    return user
