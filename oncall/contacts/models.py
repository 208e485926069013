"""How a person is reached, and when they want to hear about their shifts."""

import datetime

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from simple_history.models import HistoricalRecords

from common.tokens import new_feed_token
from common.zones import iana_zone_validate
from outbox.models import Urgency

# A notification rule waits at most a day after the page.
MAX_RULE_DELAY_MINUTES = 1440


class ContactKind(models.TextChoices):
    EMAIL = "email", "Email"
    SLACK = "slack", "Slack (user id for a DM, or an incoming-webhook URL)"
    WEBHOOK = "webhook", "Webhook (JSON POST signed with HMAC-SHA256)"
    PAGERDUTY = "pagerduty", "PagerDuty (Events API v2 routing key)"
    SMS = "sms", "SMS (phone number in E.164, e.g. +14155550100)"
    VOICE = "voice", "Voice call (phone number in E.164, e.g. +14155550100)"


# Kinds that page a phone number: they must prove the number is the person's (a code
# sent to it) before they page, so a typo never rings a stranger at 3 a.m.
PHONE_KINDS = frozenset({ContactKind.SMS, ContactKind.VOICE})


class ContactMethod(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="contact_methods"
    )
    kind = models.CharField(max_length=10, choices=ContactKind.choices)
    label = models.CharField(max_length=100, blank=True)
    # Email address, Slack user id / webhook URL, webhook URL, PagerDuty routing key, or an
    # E.164 phone number (SMS, voice).
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
    # Phone kinds only: when the number was proved by a code, and the code outstanding (an
    # HMAC, never the code itself), when it was sent and how many wrong tries it has had.
    verified_at = models.DateTimeField(null=True, blank=True)
    verification_code_hash = models.CharField(max_length=128, blank=True, editable=False)
    verification_sent_at = models.DateTimeField(null=True, blank=True, editable=False)
    verification_attempts = models.PositiveSmallIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords(
        excluded_fields=[
            "last_sent_at",
            "last_error",
            "last_failed_at",
            "verification_code_hash",
            "verification_sent_at",
            "verification_attempts",
        ]
    )

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
    def needs_verification(self) -> bool:
        return self.kind in PHONE_KINDS

    @property
    def verified(self) -> bool:
        """Proved to reach the person: a phone number by a code; every other kind counts
        as verified (as it always has)."""
        return not self.needs_verification or self.verified_at is not None

    @property
    def pageable(self) -> bool:
        """May be paged: enabled and verified."""
        return self.enabled and self.verified

    @property
    def working(self) -> bool:
        """Pageable and not failing right now (its last attempt did not fail)."""
        if not self.pageable:
            return False
        if self.last_failed_at is None:
            return True
        return self.last_sent_at is not None and self.last_sent_at > self.last_failed_at


class NotificationRule(models.Model):
    """A person's own rule, as PagerDuty users know them: for incidents of ``urgency``,
    notify ``contact_method`` ``delay_minutes`` after they are paged. A person with no
    rule for an urgency is notified on every pageable method at once."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_rules"
    )
    urgency = models.CharField(max_length=4, choices=Urgency.choices, default=Urgency.HIGH)
    delay_minutes = models.PositiveSmallIntegerField(
        default=0, validators=[MaxValueValidator(MAX_RULE_DELAY_MINUTES)]
    )
    # One of the user's own methods (checked by the services; the database cannot).
    contact_method = models.ForeignKey(
        ContactMethod, on_delete=models.CASCADE, related_name="notification_rules"
    )
    # Order among the rules with the same delay.
    position = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["user", "urgency", "delay_minutes", "position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(delay_minutes__lte=MAX_RULE_DELAY_MINUTES),
                name="notification_rule_delay_at_most_a_day",
            ),
            models.UniqueConstraint(
                fields=["user", "urgency", "contact_method", "delay_minutes"],
                name="one_notification_rule_per_method_and_delay",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.urgency}: {self.contact_method} after {self.delay_minutes} min"


class OnCallPreference(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="oncall_preference"
    )
    notify_hours_before_shift = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MaxValueValidator(48)]
    )
    notify_at_shift_end = models.BooleanField(default=False)
    # The person's own time zone and working hours: low-urgency notifications wait for
    # them; every time shown to the person is in this zone.
    time_zone = models.CharField(
        max_length=64, default="UTC", validators=[iana_zone_validate], help_text="IANA zone"
    )
    # When the person chose their zone (on their profile, or by answering the banner that
    # proposes their browser's zone); None: never asked, so the banner is shown.
    time_zone_confirmed_at = models.DateTimeField(null=True, blank=True)
    work_starts = models.TimeField(default=datetime.time(9, 0))
    work_ends = models.TimeField(default=datetime.time(18, 0))
    work_days = models.CharField(
        max_length=7, default="12345", help_text="ISO weekdays worked: 1 = Monday … 7 = Sunday."
    )
    # Secret part of the user's "my shifts" iCal URL; rotating it revokes the old URL.
    ical_token = models.CharField(max_length=64, unique=True, default=new_feed_token)

    history = HistoricalRecords()

    def __str__(self) -> str:
        return f"Shift notifications for {self.user}"
