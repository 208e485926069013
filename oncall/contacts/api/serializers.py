"""Serializers of the contact methods and on-call preferences API."""

from rest_framework import serializers

from oncall.contacts.models import ContactKind, ContactMethod
from oncall.teams.api.serializers import OnCallInputSerializer


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
            "working",
            "last_sent_at",
            "last_error",
            "last_failed_at",
        ]

    def get_has_secret(self, method) -> bool:
        return bool(method.secret)
