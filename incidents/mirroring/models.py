"""The optional mirroring of incidents to PagerDuty: which PagerDuty service a team's (or
a service's) incidents go to, and the record of each event sent there."""

from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from incidents.models import Incident, Service
from oncall.teams.models import Team


class PagerDutyMirror(models.Model):
    """Mirror a team's (or one service's) incidents to a PagerDuty service. A service's
    mirror wins over its team's."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="pagerduty_mirrors")
    service = models.OneToOneField(
        Service,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="pagerduty_mirror",
    )
    # Sent to PagerDuty on every event, so it is stored as is (it only allows sending
    # events to that one PagerDuty service).
    routing_key = models.CharField(max_length=64)
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["team"], condition=Q(service__isnull=True), name="one_team_wide_mirror"
            ),
        ]

    def __str__(self) -> str:
        return f"PagerDuty mirror for {self.service or self.team}"


class MirrorDeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed (gave up)"


class MirrorDelivery(models.Model):
    """One event to mirror to PagerDuty, written (with the outbox message that sends it,
    key ``mirror:<id>``) in the transaction that changed the incident, so nothing is lost
    if the broker or PagerDuty is down. The outbox's outcome hooks keep its status,
    attempts, last error and sent time."""

    mirror = models.ForeignKey(PagerDutyMirror, on_delete=models.CASCADE, related_name="+")
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="+")
    action = models.CharField(max_length=20)
    payload = models.JSONField(default=dict)
    status = models.CharField(
        max_length=10, choices=MirrorDeliveryStatus.choices, default=MirrorDeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField()
    # When the next try is due (its message's retry time, set at each failure); the
    # mirroring sweep only looks at pending rows whose try is overdue.
    next_attempt_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.action} {self.incident_id} ({self.status})"
