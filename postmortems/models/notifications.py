"""The sent-log: every e-mail the postmortem engine sends, keyed so that it is sent once."""

from django.conf import settings
from django.db import models


class NotificationKind(models.TextChoices):
    POSTMORTEM_SLA_BREACHED = "postmortem_sla_breached", "Postmortem SLA breached"
    POSTMORTEM_ESCALATED = "postmortem_escalated", "Postmortem escalated"
    ACTION_ITEM_OVERDUE = "action_item_overdue", "Action item overdue"
    OVERDUE_DIGEST = "overdue_digest", "Overdue action items digest"


class NotificationRecord(models.Model):
    """One notification to one person. The row is written (in the transaction that marks
    the postmortem or action item) before the e-mail goes out; ``key`` is unique, so a
    rerun, a second beat or a retried task finds the row and sends nothing. Delivery
    locks the row and sets ``sent_at``; a failed delivery is retried by the next run
    until ``max attempts``. Append-only apart from delivery bookkeeping, so no history.
    """

    key = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=40, choices=NotificationKind.choices)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    to_email = models.EmailField()
    subject = models.CharField(max_length=255)
    body = models.TextField()
    postmortem = models.ForeignKey(
        "postmortems.Postmortem",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    action_item = models.ForeignKey(
        "postmortems.ActionItem",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["sent_at", "attempts"])]

    def __str__(self) -> str:
        return self.key
