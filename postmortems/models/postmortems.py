"""Postmortems: one per incident, written from a blameless template (the sections in
``postmortems.sections``), with its five whys, contributing factors, timeline and
amendments."""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from incidents.models import Incident, TimelineEvent
from postmortems.sections import section


class PostmortemStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    IN_REVIEW = "in_review", "In review"
    PUBLISHED = "published", "Published"


class Postmortem(models.Model):
    incident = models.OneToOneField(Incident, on_delete=models.PROTECT, related_name="postmortem")
    status = models.CharField(
        max_length=20, choices=PostmortemStatus.choices, default=PostmortemStatus.DRAFT
    )
    # Snapshot of the incident's severity.postmortem_required when the draft was made:
    # the completion rate counts required postmortems only.
    required = models.BooleanField(default=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="postmortems_owned",
    )
    reviewers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="postmortems_reviewing"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="postmortems_approved",
    )

    # --- the SLA --------------------------------------------------------------------
    due_at = models.DateTimeField(
        null=True, blank=True, help_text="The incident's resolution + the postmortem SLA."
    )
    sla_breached_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    follow_up_review_date = models.DateField(null=True, blank=True)

    # --- the template (postmortems.sections: order, labels, help texts) --------------
    summary = models.TextField(blank=True, help_text=section("summary").help_text)
    impact = models.TextField(blank=True, help_text=section("impact").help_text)
    users_affected = models.PositiveIntegerField(null=True, blank=True)
    failed_operations = models.PositiveIntegerField(null=True, blank=True)
    estimated_revenue_loss = models.DecimalField(
        max_digits=14, decimal_places=2, null=True, blank=True
    )
    support_tickets = models.PositiveIntegerField(null=True, blank=True)
    root_cause = models.TextField(blank=True, help_text=section("root_cause").help_text)
    what_went_well = models.TextField(blank=True, help_text=section("what_went_well").help_text)
    what_went_wrong = models.TextField(blank=True, help_text=section("what_went_wrong").help_text)
    lessons_technical = models.TextField(
        blank=True, help_text=section("lessons_technical").help_text
    )
    lessons_process = models.TextField(blank=True, help_text=section("lessons_process").help_text)
    lessons_communication = models.TextField(
        blank=True, help_text=section("lessons_communication").help_text
    )
    supporting_data = models.TextField(blank=True, help_text=section("supporting_data").help_text)
    # The blameless warnings the publisher confirmed (empty when the text was clean);
    # kept on the row so the history of the publish records them.
    confirmed_blameless_warnings = models.JSONField(default=list, blank=True)

    created_at = models.DateTimeField()
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(excluded_fields=["updated_at"], m2m_fields=[reviewers])

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="published", published_at__isnull=False)
                | (~Q(status="published") & Q(published_at__isnull=True)),
                name="postmortem_published_at_matches_status",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "due_at"]),
        ]

    def __str__(self) -> str:
        return f"Postmortem of {self.incident}"

    @property
    def is_published(self) -> bool:
        return self.status == PostmortemStatus.PUBLISHED

    @property
    def duration(self) -> timedelta | None:
        incident = self.incident
        if incident.resolved_at is None:
            return None
        return incident.resolved_at - incident.triggered_at


class FiveWhy(models.Model):
    postmortem = models.ForeignKey(Postmortem, on_delete=models.CASCADE, related_name="whys")
    position = models.PositiveSmallIntegerField()
    question = models.TextField()
    answer = models.TextField(blank=True)

    history = HistoricalRecords()

    class Meta:
        # No unique (postmortem, position): reordering rewrites positions row by row.
        ordering = ["postmortem", "position", "id"]

    def __str__(self) -> str:
        return f"Why {self.position + 1}: {self.question[:60]}"


class FactorCategory(models.TextChoices):
    """The bones of the fishbone (Ishikawa) diagram."""

    PEOPLE = "people", "People"
    PROCESS = "process", "Process"
    TECHNOLOGY = "technology", "Technology"
    ENVIRONMENT = "environment", "Environment"
    EXTERNAL = "external", "External"


class ContributingFactor(models.Model):
    postmortem = models.ForeignKey(
        Postmortem, on_delete=models.CASCADE, related_name="contributing_factors"
    )
    position = models.PositiveSmallIntegerField(default=0)
    category = models.CharField(max_length=20, choices=FactorCategory.choices)
    description = models.TextField()

    history = HistoricalRecords()

    class Meta:
        ordering = ["postmortem", "position", "id"]

    def __str__(self) -> str:
        return f"{self.get_category_display()}: {self.description[:60]}"


class TimelineEntry(models.Model):
    """The postmortem's own, editable timeline. Prefilled from the incident's timeline
    events (``source_event``), which themselves stay append-only."""

    postmortem = models.ForeignKey(
        Postmortem, on_delete=models.CASCADE, related_name="timeline_entries"
    )
    occurred_at = models.DateTimeField()
    description = models.TextField()
    source_event = models.ForeignKey(
        TimelineEvent, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["postmortem", "occurred_at", "id"]
        verbose_name_plural = "timeline entries"

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M} {self.description[:60]}"


class Amendment(models.Model):
    """A recorded change to a published postmortem: who, when, why and what changed.
    Append-only, so it needs no separate history (the postmortem's history holds the
    values, with the amendment's reason as the change reason)."""

    postmortem = models.ForeignKey(Postmortem, on_delete=models.CASCADE, related_name="amendments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.TextField()
    changes = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["postmortem", "created_at", "id"]

    def __str__(self) -> str:
        return f"Amendment {self.created_at:%Y-%m-%d %H:%M}: {self.reason[:60]}"
