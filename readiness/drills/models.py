"""Game days: a drill scheduled for a team (or one of its services), the incident it
declared through the real alert path, and the findings of its report."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from incidents.alerts.models import Integration
from incidents.models import Incident, Service, Severity
from oncall.teams.models import Team
from postmortems.models import ActionItem
from runbooks.models import Runbook


class DrillStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    RUNNING = "running", "Running"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"


class Drill(models.Model):
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="drills")
    service = models.ForeignKey(
        Service, null=True, blank=True, on_delete=models.SET_NULL, related_name="drills"
    )
    runbook = models.ForeignKey(
        Runbook,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="drills",
        help_text="The runbook the responders should find and follow.",
    )
    title = models.CharField(max_length=200)
    scenario = models.TextField(blank=True, help_text="What the responders will face.")
    severity = models.ForeignKey(Severity, on_delete=models.PROTECT, related_name="+")
    scheduled_at = models.DateTimeField()
    announced = models.BooleanField(
        default=True, help_text="Tell the team when it is scheduled; unannounced: only the page."
    )
    postmortem_required = models.BooleanField(default=False)
    status = models.CharField(
        max_length=20, choices=DrillStatus.choices, default=DrillStatus.SCHEDULED
    )
    # A chaos tool's webhooks: called (signed) when the drill starts and when it ends.
    fault_start_url = models.URLField(max_length=500, blank=True)
    fault_stop_url = models.URLField(max_length=500, blank=True)
    fault_secret = models.CharField(max_length=64, blank=True, editable=False)
    integration = models.ForeignKey(
        Integration, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    incident = models.OneToOneField(
        Incident, null=True, blank=True, on_delete=models.SET_NULL, related_name="drill"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    history = HistoricalRecords(excluded_fields=["fault_secret"])

    class Meta:
        ordering = ["-scheduled_at", "-id"]
        indexes = [models.Index(fields=["status", "scheduled_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="scheduled")
                | Q(status="cancelled")
                | Q(started_at__isnull=False),
                name="drill_started_at_once_running",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class DrillFinding(models.Model):
    """A target the drill missed (or something it found missing), proposed when the drill
    completes; a manager turns it into an action item of the drill's incident."""

    drill = models.ForeignKey(Drill, on_delete=models.CASCADE, related_name="findings")
    measure = models.CharField(max_length=30, help_text='e.g. "acknowledge", "runbook"')
    title = models.CharField(max_length=255)
    detail = models.TextField(blank=True)
    action_item = models.OneToOneField(
        ActionItem, null=True, blank=True, on_delete=models.SET_NULL, related_name="drill_finding"
    )
    dismissed = models.BooleanField(default=False)
    created_at = models.DateTimeField()

    history = HistoricalRecords()

    class Meta:
        ordering = ["drill", "id"]
        constraints = [
            models.UniqueConstraint(fields=["drill", "measure"], name="one_finding_per_measure"),
        ]

    def __str__(self) -> str:
        return self.title
