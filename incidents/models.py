"""The incidents core: severities, the service catalog, incidents (numbered per team,
status from an ordered TextChoices, timestamps checked by constraints), their append-only
timeline, idempotency keys of declarations, and maintenance windows of services."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from oncall.teams.models import Team
from outbox.models import Urgency


class Severity(models.Model):
    """One row of the severity matrix. Seeded by a data migration, edited in the admin."""

    level = models.PositiveSmallIntegerField(unique=True, help_text="1 is the most severe.")
    name = models.CharField(max_length=10, unique=True, help_text='e.g. "SEV1"')
    label = models.CharField(max_length=30, help_text='e.g. "critical"')
    description = models.TextField(blank=True)
    examples = models.TextField(blank=True, help_text="Example situations, one per line.")
    ack_target = models.DurationField(help_text="Acknowledge within this long.")
    resolve_target = models.DurationField(help_text="Resolve within this long.")
    postmortem_required = models.BooleanField(default=False)
    status_page_deadline = models.DurationField(
        null=True, blank=True, help_text="Public status update due within this long, if at all."
    )
    update_cadence = models.DurationField(
        null=True, blank=True, help_text="Stakeholder updates due this often while open."
    )
    urgency = models.CharField(
        max_length=4,
        choices=Urgency.choices,
        default=Urgency.HIGH,
        help_text="High pages at once, day or night; low notifies within working hours.",
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["level"]
        verbose_name_plural = "severities"

    def __str__(self) -> str:
        return f"{self.name} ({self.label})"


class Service(models.Model):
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="services")
    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=100)
    description = models.TextField(blank=True)
    # Shown on the public status page (with its state, never its team or people).
    public = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    # Overrides the team's default escalation policy for this service's incidents.
    escalation_policy = models.ForeignKey(
        "oncall.EscalationPolicy",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="services",
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["team", "name"]
        constraints = [
            models.UniqueConstraint(fields=["team", "slug"], name="unique_service_slug_per_team"),
        ]

    def __str__(self) -> str:
        return self.name


class IncidentStatus(models.TextChoices):
    """Ordered: an incident only moves forward (steps may be skipped)."""

    TRIGGERED = "triggered", "Triggered"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    INVESTIGATING = "investigating", "Investigating"
    IDENTIFIED = "identified", "Identified"
    MONITORING = "monitoring", "Monitoring"
    RESOLVED = "resolved", "Resolved"


STATUS_ORDER: list[str] = list(IncidentStatus.values)


OPEN_STATUSES: list[str] = [s for s in STATUS_ORDER if s != IncidentStatus.RESOLVED]


class Resolution(models.TextChoices):
    FIXED = "fixed", "Fixed"
    FALSE_POSITIVE = "false_positive", "False positive"
    DUPLICATE = "duplicate", "Duplicate"
    NO_ACTION_NEEDED = "no_action_needed", "No action needed"


class Incident(models.Model):
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="incidents")
    number = models.PositiveIntegerField(editable=False, help_text="Sequential within the team.")
    title = models.CharField(max_length=255)
    summary = models.TextField(blank=True)
    severity = models.ForeignKey(Severity, on_delete=models.PROTECT, related_name="incidents")
    status = models.CharField(
        max_length=20, choices=IncidentStatus.choices, default=IncidentStatus.TRIGGERED
    )
    resolution = models.CharField(max_length=20, choices=Resolution.choices, blank=True)
    commander = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="incidents_commanded",
    )
    scribe = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="incidents_scribed",
    )
    communications_lead = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="incidents_communicated",
    )
    services = models.ManyToManyField(Service, blank=True, related_name="incidents")
    impact = models.TextField(blank=True)
    private = models.BooleanField(default=False)
    dedup_key = models.CharField(max_length=255, blank=True)
    source = models.CharField(max_length=100, blank=True, help_text='"api", "web", an integration…')
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="incidents_created",
    )
    triggered_at = models.DateTimeField()
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    reopen_count = models.PositiveSmallIntegerField(default=0)
    # A game day's incident (readiness.drills): it pages through the real engine with every
    # message marked DRILL, and is left out of the metrics, the public status page and the
    # postmortem SLA. Set when the drill declares it; nothing a client sends can set it.
    is_drill = models.BooleanField(default=False, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["-triggered_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["team", "number"], name="unique_incident_number"),
            models.CheckConstraint(
                condition=Q(status="resolved", resolved_at__isnull=False)
                | (~Q(status="resolved") & Q(resolved_at__isnull=True)),
                name="incident_resolved_at_matches_status",
            ),
            models.CheckConstraint(
                condition=Q(status="triggered") | Q(acknowledged_at__isnull=False),
                name="incident_acknowledged_at_set_after_triggered",
            ),
        ]
        indexes = [
            models.Index(fields=["team", "status"]),
            models.Index(fields=["status", "triggered_at"]),
            models.Index(fields=["triggered_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.reference}: {self.title}"

    @property
    def reference(self) -> str:
        return f"{self.team.key}-{self.number}"

    @property
    def is_open(self) -> bool:
        return self.status != IncidentStatus.RESOLVED


class TimelineEventKind(models.TextChoices):
    DECLARED = "declared", "Declared"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    STATUS_CHANGED = "status_changed", "Status changed"
    RESOLVED = "resolved", "Resolved"
    REOPENED = "reopened", "Reopened"
    NOTE = "note", "Note"
    UPDATED = "updated", "Fields changed"
    SEVERITY_CHANGED = "severity_changed", "Severity changed"
    ROLE_ASSIGNED = "role_assigned", "Role assigned"
    ESCALATION = "escalation", "Escalation"
    PAGED = "paged", "Paged"
    ALERT = "alert", "Alert"
    PAGERDUTY_MIRROR = "pagerduty_mirror", "PagerDuty mirror"
    # Communication (incidents.communication).
    STATUS_UPDATE = "status_update", "Status update"
    STATUS_PAGE_DEADLINE_MISSED = "status_page_deadline_missed", "Status page deadline missed"
    UPDATE_REMINDER = "update_reminder", "Update reminder"
    ESCALATION_NOTICE = "escalation_notice", "Escalation notice"
    STATUS_PAGE_STATE = "status_page_state", "Status page state changed"
    SLACK_CHANNEL = "slack_channel", "Slack channel"
    SLACK_FAILED = "slack_failed", "Slack failed"
    STAKEHOLDERS_NOTIFIED = "stakeholders_notified", "Stakeholders notified"
    # Runbooks (runbooks.services).
    RUNBOOK_ATTACHED = "runbook_attached", "Runbook attached"
    RUNBOOK_ACCURACY_PROMPT = "runbook_accuracy_prompt", "Runbook accuracy asked"
    RUNBOOK_ACCURACY_ANSWER = "runbook_accuracy_answer", "Runbook accuracy answered"


class TimelineEvent(models.Model):
    """Append-only log of what happened to an incident, with old and new values in
    ``data``. Never edited, so it needs no separate history."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="timeline")
    kind = models.CharField(max_length=40, choices=TimelineEventKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    message = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["incident", "created_at"])]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.kind}"


class IdempotencyRecord(models.Model):
    """Remembers an ``Idempotency-Key`` sent when creating an incident, so that a client
    retrying after a timeout gets the first incident back instead of a second one."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)
    incident = models.ForeignKey(Incident, null=True, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="unique_idempotency_key_per_user")
        ]

    def __str__(self) -> str:
        return self.key


class MaintenanceWindow(models.Model):
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="maintenance_windows")
    title = models.CharField(max_length=255)
    description = models.TextField(blank=True)
    services = models.ManyToManyField(Service, related_name="maintenance_windows")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["starts_at", "id"]
        indexes = [models.Index(fields=["starts_at", "ends_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")),
                name="maintenance_window_ends_after_start",
            )
        ]

    def __str__(self) -> str:
        return self.title
