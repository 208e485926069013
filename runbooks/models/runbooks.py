"""Runbooks: a team's written procedure for a scenario, matched to incidents."""

from datetime import timedelta

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from incidents.models import Incident, Service, Severity, TimelineEventKind
from oncall.teams.models import Team

# The section structure every runbook follows (level-2 headings of the Markdown body).
REQUIRED_SECTIONS: tuple[str, ...] = (
    "Overview",
    "Symptoms",
    "Detection",
    "Triage",
    "Mitigation",
    "Rollback",
    "Communication",
    "Escalation",
    "Post-incident",
)


# The timeline kinds the runbooks app writes are TimelineEventKind's (one list, so the
# timeline shows their labels); the name stays for that code.
RunbookEventKind = TimelineEventKind


def empty_matchers() -> dict:
    return {"alert_names": [], "labels": {}, "title_keywords": []}


class Runbook(models.Model):
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="runbooks")
    title = models.CharField(max_length=200)
    services = models.ManyToManyField(Service, blank=True, related_name="runbooks")
    matchers = models.JSONField(
        default=empty_matchers,
        blank=True,
        help_text='{"alert_names": [...], "labels": {"key": "value"}, "title_keywords": [...]}',
    )
    severity_hint = models.ForeignKey(
        Severity, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField(help_text="Markdown, in the sections of REQUIRED_SECTIONS.")
    last_tested_at = models.DateTimeField(null=True, blank=True)
    review_interval_days = models.PositiveIntegerField(default=90)
    # Maintained by the services: (last_tested_at or created_at) + review interval.
    review_due_at = models.DateTimeField(db_index=True)
    # The review_due_at that was last flagged: one flag (and one e-mail) per period.
    stale_flagged_for = models.DateTimeField(null=True, blank=True)
    stale_flagged_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    history = HistoricalRecords(m2m_fields=[services])

    class Meta:
        ordering = ["team", "title"]
        constraints = [
            models.UniqueConstraint(fields=["team", "title"], name="unique_runbook_title_per_team")
        ]

    def __str__(self) -> str:
        return self.title

    def compute_review_due_at(self):
        base = self.last_tested_at or self.created_at
        return base + timedelta(days=self.review_interval_days)


class RunbookAttachment(models.Model):
    """A runbook attached to an incident, with why it matched and, once the incident is
    resolved, the answer to "was this runbook accurate?"."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="runbooks")
    runbook = models.ForeignKey(Runbook, on_delete=models.CASCADE, related_name="attachments")
    matched_by = models.JSONField(default=list, help_text='e.g. ["service:checkout-api"]')
    score = models.PositiveIntegerField(default=0)
    attached_at = models.DateTimeField()
    accuracy_prompted_at = models.DateTimeField(null=True, blank=True)
    accurate = models.BooleanField(null=True, blank=True)
    accuracy_comment = models.TextField(blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-score", "attached_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["incident", "runbook"], name="unique_runbook_per_incident"
            )
        ]

    def __str__(self) -> str:
        return f"{self.runbook} on incident {self.incident_id}"
