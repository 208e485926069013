"""Escalation policies: ordered rules, each paging its targets then waiting ``delay_minutes``
before the next rule; the whole list runs ``1 + repeat`` times."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from oncall.schedules.models import Schedule
from oncall.teams.models import Team


class EscalationPolicy(models.Model):
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="escalation_policies")
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    repeat = models.PositiveSmallIntegerField(
        default=0,
        validators=[MaxValueValidator(9)],
        help_text="How many times the rules run again after the last one (0–9).",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["team", "name"]
        verbose_name_plural = "escalation policies"
        constraints = [
            models.UniqueConstraint(fields=["team", "name"], name="unique_policy_name_per_team"),
            models.CheckConstraint(condition=Q(repeat__lte=9), name="policy_repeat_at_most_9"),
        ]

    def __str__(self) -> str:
        return self.name


class EscalationRule(models.Model):
    policy = models.ForeignKey(EscalationPolicy, on_delete=models.CASCADE, related_name="rules")
    position = models.PositiveSmallIntegerField(default=0)
    delay_minutes = models.PositiveIntegerField(
        default=15,
        validators=[MinValueValidator(1)],
        help_text="Minutes to wait for an acknowledgement before the next rule.",
    )
    high_urgency_only = models.BooleanField(
        default=False,
        help_text="Page this rule only for high-urgency incidents (e.g. a whole-team rule): "
        "low-urgency incidents skip it.",
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["policy", "position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(delay_minutes__gte=1), name="rule_delay_at_least_1_minute"
            )
        ]

    def __str__(self) -> str:
        return f"Rule {self.position + 1} ({self.delay_minutes} min)"


class TargetType(models.TextChoices):
    USER = "user", "User"
    SCHEDULE = "schedule", "Schedule (whoever is on call)"
    TEAM = "team", "Whole team"


class EscalationTarget(models.Model):
    rule = models.ForeignKey(EscalationRule, on_delete=models.CASCADE, related_name="targets")
    type = models.CharField(max_length=10, choices=TargetType.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    schedule = models.ForeignKey(
        Schedule, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["rule", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(type="user", user__isnull=False, schedule__isnull=True, team__isnull=True)
                    | Q(
                        type="schedule",
                        user__isnull=True,
                        schedule__isnull=False,
                        team__isnull=True,
                    )
                    | Q(type="team", user__isnull=True, schedule__isnull=True, team__isnull=False)
                ),
                name="escalation_target_matches_type",
            )
        ]

    def __str__(self) -> str:
        target = {"user": self.user, "schedule": self.schedule, "team": self.team}.get(self.type)
        return f"{self.get_type_display()}: {target}"

    @property
    def target_id(self) -> int | None:
        return {"user": self.user_id, "schedule": self.schedule_id, "team": self.team_id}.get(
            self.type
        )
