"""Action items: the follow-ups of an incident, tracked to closure."""

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from incidents.models import Incident
from postmortems.models.postmortems import Postmortem


class ActionItemPriority(models.TextChoices):
    P0 = "P0", "P0 (critical)"
    P1 = "P1", "P1 (high)"
    P2 = "P2", "P2 (medium)"
    P3 = "P3", "P3 (low)"


class ActionItemKind(models.TextChoices):
    DETECTIVE = "detective", "Detective"
    PREVENTIVE = "preventive", "Preventive"
    CORRECTIVE = "corrective", "Corrective"


class ActionItemStatus(models.TextChoices):
    OPEN = "open", "Open"
    IN_PROGRESS = "in_progress", "In progress"
    DONE = "done", "Done"
    WONT_DO = "wont_do", "Won't do"


OPEN_ACTION_ITEM_STATUSES = [ActionItemStatus.OPEN, ActionItemStatus.IN_PROGRESS]
CLOSED_ACTION_ITEM_STATUSES = [ActionItemStatus.DONE, ActionItemStatus.WONT_DO]


class ActionItem(models.Model):
    # Always set (copied from the postmortem when the item belongs to one) so that team
    # scoping is one join whichever way the item was created.
    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="action_items")
    postmortem = models.ForeignKey(
        Postmortem,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="action_items",
    )
    title = models.CharField(max_length=255)
    description = models.TextField(blank=True)
    # Required on creation; nullable only so that deleting a user does not delete the
    # work, and publishing checks that every item still has an owner.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="action_items",
    )
    priority = models.CharField(max_length=2, choices=ActionItemPriority.choices)
    due_date = models.DateField()
    kind = models.CharField(
        max_length=20, choices=ActionItemKind.choices, default=ActionItemKind.CORRECTIVE
    )
    status = models.CharField(
        max_length=20, choices=ActionItemStatus.choices, default=ActionItemStatus.OPEN
    )
    wont_do_reason = models.TextField(blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    tracker_url = models.URLField(max_length=500, blank=True)
    # Set by the overdue beat task the first time it sees the item past its due date.
    marked_overdue_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["due_date", "priority", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="done", completed_at__isnull=False)
                | (~Q(status="done") & Q(completed_at__isnull=True)),
                name="action_item_completed_at_matches_status",
            ),
            models.CheckConstraint(
                condition=~Q(status="wont_do") | ~Q(wont_do_reason=""),
                name="action_item_wont_do_needs_reason",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "due_date"]),
            models.Index(fields=["owner", "status"]),
        ]

    def __str__(self) -> str:
        return self.title

    def is_overdue(self, today: datetime.date | None = None) -> bool:
        today = today or timezone.localdate()
        return self.status in OPEN_ACTION_ITEM_STATUSES and self.due_date < today
