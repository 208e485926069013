"""Communication around an incident: status updates, what the public status page says
about it, who hears about a team's incidents, the time-based escalation notice rules and
the Slack incident channel. What was sent (reminders, notices, e-mails, Slack posts) is
in the outbox, one message each under a key that says what it is."""

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from incidents.models import Incident, IncidentStatus, Severity, TimelineEventKind
from oncall.teams.models import Team

CommunicationEventKind = TimelineEventKind


class UpdateAudience(models.TextChoices):
    """Who an update is for: the incident's own people (the timeline and Slack), the
    public status page (and the team's stakeholders, by e-mail), or the stakeholders
    only (e-mail, never on the status page)."""

    INTERNAL = "internal", "Internal"
    PUBLIC = "public", "Public"
    STAKEHOLDERS = "stakeholders", "Stakeholders"


class StatusPageState(models.TextChoices):
    """Ordered from best to worst: a service shows the worst state among its causes."""

    OPERATIONAL = "operational", "Operational"
    UNDER_MAINTENANCE = "under_maintenance", "Under maintenance"
    DEGRADED_PERFORMANCE = "degraded_performance", "Degraded performance"
    PARTIAL_OUTAGE = "partial_outage", "Partial outage"
    MAJOR_OUTAGE = "major_outage", "Major outage"


class StatusUpdate(models.Model):
    """A message from the incident's people: internal (the timeline and Slack), public
    (the status page and the stakeholders' mailboxes; the first one puts the incident on
    the status page) or for the stakeholders only. Append-only: a correction is a new
    update."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="updates")
    message = models.TextField()
    status = models.CharField(
        max_length=20,
        choices=IncidentStatus.choices,
        help_text="The incident's status when the update was posted.",
    )
    audience = models.CharField(max_length=20, choices=UpdateAudience.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["incident", "audience", "created_at"])]

    def __str__(self) -> str:
        return f"{self.incident_id} {self.audience} {self.created_at:%Y-%m-%d %H:%M}"


class IncidentCommunication(models.Model):
    """Per-incident communication settings: what the status page says about it."""

    incident = models.OneToOneField(
        Incident, on_delete=models.CASCADE, related_name="communication"
    )
    status_page_state = models.CharField(
        max_length=30,
        choices=StatusPageState.choices,
        blank=True,
        help_text="Overrides the state derived from the severity for this incident's "
        "public services; blank = derived.",
    )
    public_title = models.CharField(
        max_length=255, blank=True, help_text="Title shown on the status page; blank = title."
    )
    customer_impact = models.BooleanField(
        null=True,
        blank=True,
        help_text="Customers are affected (for escalation rules that require it); "
        "unset = derived: the incident has an impact statement.",
    )

    history = HistoricalRecords()

    def __str__(self) -> str:
        return f"Communication of incident {self.incident_id}"


class TeamCommunicationSettings(models.Model):
    """Who hears about a team's incidents besides the responders."""

    team = models.OneToOneField(Team, on_delete=models.CASCADE, related_name="communication")
    stakeholder_emails = models.TextField(
        blank=True, help_text="Receive every public update; one address per line or comma."
    )
    engineering_manager_emails = models.TextField(
        blank=True, help_text="Targets of 'engineering manager' escalation notices."
    )
    auto_publish = models.BooleanField(
        default=False,
        help_text="When an incident on a public service is declared, publish a neutral "
        "'Investigating an issue affecting <service>' on the status page at once. Off: "
        "an incident appears there only once someone shares a public update.",
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name_plural = "team communication settings"

    def __str__(self) -> str:
        return f"Communication settings of {self.team}"


class NoticeRecipient(models.TextChoices):
    TEAM_LEAD = "team_lead", "Team lead (the team's managers)"
    ENGINEERING_MANAGER = "engineering_manager", "Engineering manager (team settings)"
    EXECUTIVE_LIST = "executive_list", "Executive list (the rule's addresses)"


class EscalationNoticeRule(models.Model):
    """A time-based escalation notice about an unresolved incident: ``after_minutes``
    after it was declared, an incident of ``severity`` still open notifies ``target``.
    (Not the paging engine's escalation: nobody is paged, people are told.)"""

    severity = models.ForeignKey(
        Severity, on_delete=models.CASCADE, related_name="escalation_notice_rules"
    )
    after_minutes = models.PositiveIntegerField()
    target = models.CharField(max_length=30, choices=NoticeRecipient.choices)
    emails = models.TextField(
        blank=True, help_text="Addresses for the executive list (one per line or comma)."
    )
    requires_customer_impact = models.BooleanField(
        default=False, help_text="Only for incidents with customer impact."
    )
    active = models.BooleanField(default=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["severity__level", "after_minutes", "id"]

    def __str__(self) -> str:
        return f"{self.severity.name} after {self.after_minutes} min → {self.target}"


class ReminderKind(models.TextChoices):
    """What a reminder is about (part of its outbox key)."""

    STATUS_PAGE_DEADLINE = "status_page_deadline", "Status page deadline"
    UPDATE_CADENCE = "update_cadence", "Update cadence"


class IncidentChannelState(models.TextChoices):
    PENDING = "pending", "Pending"
    CREATED = "created", "Created"
    FAILED = "failed", "Failed"


class IncidentChannel(models.Model):
    """The Slack channel of an incident (kept off Incident so Slack stays optional)."""

    incident = models.OneToOneField(Incident, on_delete=models.CASCADE, related_name="channel")
    state = models.CharField(
        max_length=10, choices=IncidentChannelState.choices, default=IncidentChannelState.PENDING
    )
    channel_id = models.CharField(max_length=40, blank=True)
    name = models.CharField(max_length=80)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"#{self.name}"
