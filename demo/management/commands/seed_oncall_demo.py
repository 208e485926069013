"""Give every team a weekly schedule of its members and a default escalation policy
(schedule → managers → whole team), so demo incidents page someone. Idempotent."""

from datetime import time, timedelta

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from oncall.policies.models import EscalationPolicy, EscalationRule, EscalationTarget
from oncall.schedules.models import Schedule, ScheduleLayer, ScheduleLayerMember
from oncall.teams.models import Team, TeamRole


class Command(BaseCommand):
    help = "Create a demo on-call schedule and escalation policy for every team (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--team", help="Only this team (slug); default: every team.")

    @transaction.atomic
    def handle(self, *args, **options):
        monday = timezone.localdate() - timedelta(days=timezone.localdate().weekday())
        teams = Team.objects.order_by("pk")
        if options.get("team"):
            teams = teams.filter(slug=options["team"])
        for team in teams:
            members = list(team.memberships.select_related("user").order_by("user__username"))
            if not members:
                continue
            schedule, created = Schedule.objects.get_or_create(
                team=team, name="Primary", defaults={"time_zone": "Europe/London"}
            )
            if created:
                layer = ScheduleLayer.objects.create(
                    schedule=schedule,
                    name="Weekly",
                    rotation="weekly",
                    handoff_time=time(9),
                    start=monday,
                )
                for position, membership in enumerate(members):
                    ScheduleLayerMember.objects.create(
                        layer=layer, user=membership.user, position=position
                    )
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
            self.stdout.write(f"{team.name}: schedule {schedule.name!r}, policy {policy.name!r}")
