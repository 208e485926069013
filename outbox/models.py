"""One row per message to send, from the transaction that wanted it sent to its outcome."""

from django.conf import settings
from django.db import models
from django.db.models import Q


class Transport(models.TextChoices):
    EMAIL = "email", "Email"
    SLACK = "slack", "Slack"
    WEBHOOK = "webhook", "Webhook"
    PAGERDUTY = "pagerduty", "PagerDuty Events API"
    SMS = "sms", "SMS (Twilio)"
    VOICE = "voice", "Voice call (Twilio)"


class MessageStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    SENDING = "sending", "Sending (claimed by a sender)"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed (gave up)"
    CANCELLED = "cancelled", "Cancelled (no longer wanted)"


class Urgency(models.TextChoices):
    HIGH = "high", "High: at once, day or night"
    LOW = "low", "Low: within working hours"


class Message(models.Model):
    """A message to one destination. ``key`` is its idempotency key: stable across every
    attempt, sent along (webhook ``Idempotency-Key``, PagerDuty ``dedup_key``, email
    ``Message-ID``), so a receiver can fold a repeat after a crash mid-send.

    ``purpose`` names the room's handler (``outbox.purposes``) that renders the message
    just before sending and hears its outcome; ``group`` lets a room cancel what is still
    queued (e.g. ``incident:42`` when it is acknowledged); ``bundle`` lets messages due
    together for one destination go out as one.
    """

    key = models.CharField(max_length=200, unique=True)
    purpose = models.CharField(max_length=40)
    transport = models.CharField(max_length=10, choices=Transport.choices)
    address = models.CharField(max_length=500)
    payload = models.JSONField(default=dict, blank=True)
    urgency = models.CharField(max_length=4, choices=Urgency.choices, default=Urgency.HIGH)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="outbox_messages",
    )
    group = models.CharField(max_length=100, blank=True)
    bundle = models.CharField(max_length=100, blank=True)
    status = models.CharField(
        max_length=10, choices=MessageStatus.choices, default=MessageStatus.QUEUED
    )
    due_at = models.DateTimeField()
    lease_until = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    provider_id = models.CharField(
        max_length=200, blank=True, help_text="The receiver's id for it (e.g. a Twilio SID)."
    )
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(
                fields=["due_at"], condition=Q(status="queued"), name="outbox_queued_due_idx"
            ),
            models.Index(
                fields=["lease_until"],
                condition=Q(status="sending"),
                name="outbox_sending_lease_idx",
            ),
            models.Index(
                fields=["transport", "address"],
                condition=Q(status="sending"),
                name="outbox_in_flight_idx",
            ),
            models.Index(fields=["group", "status"], name="outbox_group_idx"),
            models.Index(fields=["bundle", "due_at"], name="outbox_bundle_idx"),
            models.Index(fields=["recipient", "created_at"], name="outbox_recipient_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.purpose} via {self.transport} to {self.address} ({self.status})"
