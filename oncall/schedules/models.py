"""Schedules: a team's rota as ordered layers of ordered users, plus overrides; the
handoffs recorded as shifts start, and the shift notices sent.

Rows are only storage; every computation converts them to
``oncall.schedules.rotation.Schedule`` (see ``oncall.schedules.selectors.schedule_to_rotation``)
and uses the pure module.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from simple_history.models import HistoricalRecords

from common.tokens import new_feed_token
from oncall.teams.models import Team


class Schedule(models.Model):
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="schedules")
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    time_zone = models.CharField(max_length=64, default="UTC", help_text="IANA zone name.")
    # Secret part of the iCal feed URL; rotating it revokes every subscribed calendar.
    ical_token = models.CharField(max_length=64, unique=True, default=new_feed_token)
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["team", "name"]
        constraints = [
            models.UniqueConstraint(fields=["team", "name"], name="unique_schedule_name_per_team")
        ]

    def __str__(self) -> str:
        return self.name


class Rotation(models.TextChoices):
    DAILY = "daily", "Daily"
    WEEKLY = "weekly", "Weekly"
    CUSTOM = "custom", "Custom (shift length in hours)"


class ScheduleLayer(models.Model):
    """Later layers (higher ``position``) override earlier ones where they have someone."""

    schedule = models.ForeignKey(Schedule, on_delete=models.CASCADE, related_name="layers")
    position = models.PositiveSmallIntegerField(default=0)
    name = models.CharField(max_length=100, blank=True)
    rotation = models.CharField(max_length=10, choices=Rotation.choices, default=Rotation.WEEKLY)
    shift_length_hours = models.PositiveIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(24 * 366)]
    )
    handoff_time = models.TimeField(help_text="Local wall-clock time in the schedule's zone.")
    start = models.DateField(help_text="Date of the first handoff (to the first user).")
    # [{"weekdays": [1, 2, 3, 4, 5], "start": "09:00", "end": "17:00"}], ISO weekdays.
    restrictions = models.JSONField(default=list, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["schedule", "position", "id"]

    def __str__(self) -> str:
        return self.name or f"Layer {self.position + 1}"


class ScheduleLayerMember(models.Model):
    """One slot of a layer's rotation order (a user may appear more than once)."""

    layer = models.ForeignKey(ScheduleLayer, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    position = models.PositiveSmallIntegerField(default=0)

    history = HistoricalRecords()

    class Meta:
        ordering = ["layer", "position", "id"]

    def __str__(self) -> str:
        return f"{self.position + 1}. {self.user}"


class ScheduleOverride(models.Model):
    schedule = models.ForeignKey(Schedule, on_delete=models.CASCADE, related_name="overrides")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    start = models.DateTimeField()
    end = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["schedule", "start", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="override_end_after_start")
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.start:%Y-%m-%d %H:%M}–{self.end:%Y-%m-%d %H:%M}"


class Handoff(models.Model):
    """A shift as it started, recorded by the engine, so that reports about the past do not
    change when a schedule is edited later. Append-only."""

    schedule = models.ForeignKey(Schedule, on_delete=models.CASCADE, related_name="handoffs")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    start = models.DateTimeField()
    end = models.DateTimeField()
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["schedule", "start"]
        constraints = [
            models.UniqueConstraint(
                fields=["schedule", "user", "start"], name="unique_handoff_per_shift"
            )
        ]
        indexes = [models.Index(fields=["user", "start"])]

    def __str__(self) -> str:
        return f"{self.user} on {self.schedule} from {self.start:%Y-%m-%d %H:%M}"
