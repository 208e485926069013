"""The escalation of one incident through its policy, and the pages it sends.

All engine state lives in these rows: a lost Celery task, a dead worker or a restarted
broker loses nothing, because the beat sweep finds every step that is due and not done.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from incidents.models import Incident


def new_token() -> str:
    return uuid.uuid4().hex


class EscalationState(models.TextChoices):
    ACTIVE = "active", "Escalating"
    STOPPED = "stopped", "Stopped (acknowledged or resolved)"
    EXHAUSTED = "exhausted", "Finished (every rule and repeat paged)"


class IncidentEscalation(models.Model):
    """Engine state, one row per incident. ``policy_snapshot`` is a copy of the policy taken
    when escalation started, so editing the policy never changes an escalation in flight.

    ``rule_index``/``loop`` name the *next* step to run, due at ``next_escalation_at``; each
    scheduled step carries ``token``, and a task whose token no longer matches does nothing.
    """

    incident = models.OneToOneField(Incident, on_delete=models.CASCADE, related_name="escalation")
    policy = models.ForeignKey(
        "oncall.EscalationPolicy",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    policy_snapshot = models.JSONField(default=dict)
    state = models.CharField(
        max_length=10, choices=EscalationState.choices, default=EscalationState.ACTIVE
    )
    # Bumped on every (re)start, so pages of an earlier run never suppress a later one.
    run = models.PositiveIntegerField(default=1)
    rule_index = models.PositiveSmallIntegerField(default=0)
    loop = models.PositiveSmallIntegerField(default=0, help_text="Completed passes (repeats).")
    next_escalation_at = models.DateTimeField(null=True, blank=True)
    token = models.CharField(max_length=32, default=new_token)
    started_at = models.DateTimeField()
    stopped_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=~Q(state="active") | Q(next_escalation_at__isnull=False),
                name="active_escalation_has_next_step",
            )
        ]
        indexes = [
            models.Index(
                fields=["next_escalation_at"],
                condition=Q(state="active"),
                name="escalation_due_idx",
            )
        ]

    def __str__(self) -> str:
        return f"Escalation of incident {self.incident_id} ({self.state})"


class PageStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled (acknowledged before it went out)"


class Page(models.Model):
    """One notification of one person through one contact method for one escalation step."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="pages")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    contact_method = models.ForeignKey(
        "oncall.ContactMethod", null=True, on_delete=models.SET_NULL, related_name="pages"
    )
    channel = models.CharField(max_length=10)
    run = models.PositiveIntegerField(default=1)
    loop = models.PositiveSmallIntegerField(default=0)
    level = models.PositiveSmallIntegerField(help_text="1-based rule number; 0 = fallback.")
    reason = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=10, choices=PageStatus.choices, default=PageStatus.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)
    not_before = models.DateTimeField(help_text="Queued until then (throttle, retry backoff).")
    bundle_size = models.PositiveSmallIntegerField(default=0)
    # The outbox message that carries this page (several pages of one person and contact
    # method due together share one message: a bundle).
    message = models.ForeignKey(
        "outbox.Message", null=True, blank=True, on_delete=models.SET_NULL, related_name="pages"
    )
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            # The last line of defence against double pages: one page per person, contact
            # method and step of a run.
            models.UniqueConstraint(
                fields=["incident", "run", "loop", "level", "user", "channel", "contact_method"],
                name="one_page_per_step_and_contact",
            )
        ]
        indexes = [
            models.Index(
                fields=["contact_method", "not_before"],
                condition=Q(status="queued"),
                name="page_queued_idx",
            ),
            models.Index(fields=["user", "created_at"]),
            # The paging sweep's look for queued pages no outbox message carries: empty
            # but for pages written before the outbox existed, so the scan costs nothing.
            models.Index(
                fields=["id"],
                condition=Q(status="queued", message__isnull=True),
                name="page_without_message_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"Page {self.user} via {self.channel} ({self.status})"
