"""How a person is reached, and when they want to hear about their shifts."""

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from simple_history.models import HistoricalRecords

from common.tokens import new_feed_token


class ContactKind(models.TextChoices):
    EMAIL = "email", "Email"
    SLACK = "slack", "Slack (user id for a DM, or an incoming-webhook URL)"
    WEBHOOK = "webhook", "Webhook (JSON POST signed with HMAC-SHA256)"
    PAGERDUTY = "pagerduty", "PagerDuty (Events API v2 routing key)"


class ContactMethod(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="contact_methods"
    )
    kind = models.CharField(max_length=10, choices=ContactKind.choices)
    label = models.CharField(max_length=100, blank=True)
    # Email address, Slack user id / webhook URL, webhook URL, or PagerDuty routing key.
    address = models.CharField(max_length=500)
    secret = models.CharField(
        max_length=200, blank=True, help_text="Webhook only: the HMAC-SHA256 signing key."
    )
    enabled = models.BooleanField(default=True)
    # Throttle: at most one message per this many seconds; pages arriving meanwhile queue up
    # and go out together as one bundled message.
    min_interval_seconds = models.PositiveIntegerField(default=0)
    last_sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    last_failed_at = models.DateTimeField(null=True, blank=True)
    # Created by the engine from the account's email for a user with no contact method.
    account_default = models.BooleanField(default=False, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords(excluded_fields=["last_sent_at", "last_error", "last_failed_at"])

    class Meta:
        ordering = ["user", "id"]
        constraints = [
            # Two sweeps paging the same new user at once must not create two defaults.
            models.UniqueConstraint(
                fields=["user"],
                condition=models.Q(account_default=True),
                name="one_account_default_contact_per_user",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display().split(' (')[0]}: {self.label or self.address}"

    @property
    def working(self) -> bool:
        """Enabled and not failing right now (its last attempt did not fail)."""
        if not self.enabled:
            return False
        if self.last_failed_at is None:
            return True
        return self.last_sent_at is not None and self.last_sent_at > self.last_failed_at


class OnCallPreference(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="oncall_preference"
    )
    notify_hours_before_shift = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MaxValueValidator(48)]
    )
    notify_at_shift_end = models.BooleanField(default=False)
    # Secret part of the user's "my shifts" iCal URL; rotating it revokes the old URL.
    ical_token = models.CharField(max_length=64, unique=True, default=new_feed_token)

    history = HistoricalRecords()

    def __str__(self) -> str:
        return f"Shift notifications for {self.user}"
