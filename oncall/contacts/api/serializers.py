"""Serializers of the contact methods and on-call preferences API."""

from rest_framework import serializers

from oncall.contacts.models import (
    MAX_RULE_DELAY_MINUTES,
    ContactKind,
    ContactMethod,
    NotificationRule,
)
from oncall.teams.api.serializers import OnCallInputSerializer
from outbox.models import Urgency


class ContactMethodInputSerializer(OnCallInputSerializer):
    kind = serializers.ChoiceField(choices=ContactKind.choices)
    address = serializers.CharField(max_length=500)
    label = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    secret = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    enabled = serializers.BooleanField(default=True)
    min_interval_seconds = serializers.IntegerField(
        min_value=0, max_value=3600, required=False, allow_null=True, default=None
    )


class ContactMethodUpdateInputSerializer(OnCallInputSerializer):
    address = serializers.CharField(max_length=500, required=False)
    label = serializers.CharField(max_length=100, required=False, allow_blank=True)
    secret = serializers.CharField(max_length=200, required=False, allow_blank=True)
    enabled = serializers.BooleanField(required=False)
    min_interval_seconds = serializers.IntegerField(min_value=0, max_value=3600, required=False)


class PreferenceInputSerializer(OnCallInputSerializer):
    notify_hours_before_shift = serializers.IntegerField(
        min_value=0, max_value=48, allow_null=True, required=False, default=None
    )
    notify_at_shift_end = serializers.BooleanField(required=False, default=False)
    time_zone = serializers.CharField(
        max_length=64,
        required=False,
        help_text="IANA time zone, e.g. Europe/Berlin. Unchanged when left out.",
    )
    work_starts = serializers.TimeField(
        required=False, help_text="Working hours start (in time_zone). Unchanged when left out."
    )
    work_ends = serializers.TimeField(
        required=False,
        help_text="Working hours end; earlier than work_starts runs past midnight.",
    )
    work_days = serializers.RegexField(
        r"^[1-7]{0,7}$",
        required=False,
        max_length=7,
        help_text='ISO weekdays worked, e.g. "12345" for Monday to Friday.',
    )


class ContactMethodOutputSerializer(serializers.ModelSerializer):
    has_secret = serializers.SerializerMethodField()

    class Meta:
        model = ContactMethod
        fields = [
            "id",
            "kind",
            "label",
            "address",
            "has_secret",
            "enabled",
            "min_interval_seconds",
            "verified",
            "verified_at",
            "pageable",
            "working",
            "last_sent_at",
            "last_error",
            "last_failed_at",
        ]

    def get_has_secret(self, method) -> bool:
        return bool(method.secret)


class VerifyInputSerializer(OnCallInputSerializer):
    code = serializers.CharField(max_length=20)


class NotificationRuleInputSerializer(OnCallInputSerializer):
    urgency = serializers.ChoiceField(choices=Urgency.choices, default=Urgency.HIGH)
    delay_minutes = serializers.IntegerField(min_value=0, max_value=MAX_RULE_DELAY_MINUTES)
    contact_method = serializers.IntegerField(min_value=1, source="contact_method_id")
    position = serializers.IntegerField(min_value=0, max_value=1000, required=False)


class NotificationRuleUpdateInputSerializer(OnCallInputSerializer):
    require_changes = True

    urgency = serializers.ChoiceField(choices=Urgency.choices, required=False)
    delay_minutes = serializers.IntegerField(
        min_value=0, max_value=MAX_RULE_DELAY_MINUTES, required=False
    )
    contact_method = serializers.IntegerField(
        min_value=1, source="contact_method_id", required=False
    )
    position = serializers.IntegerField(min_value=0, max_value=1000, required=False)


class ContactMethodRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = ContactMethod
        fields = ["id", "kind", "label", "address", "pageable"]


class NotificationRuleOutputSerializer(serializers.ModelSerializer):
    contact_method = ContactMethodRefSerializer(read_only=True)

    class Meta:
        model = NotificationRule
        fields = ["id", "urgency", "delay_minutes", "contact_method", "position", "created_at"]
