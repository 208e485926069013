from django.conf import settings
from django.urls import reverse
from rest_framework import serializers

from oncall.api.serializers import UserRefSerializer
from oncall.models import (
    ContactKind,
    ContactMethod,
    EscalationPolicy,
    Rotation,
    Schedule,
    ScheduleOverride,
    TargetType,
)

# --- input ------------------------------------------------------------------------------


class StrictSerializer(serializers.Serializer):
    """Unknown fields are an error rather than silently ignored."""

    def validate(self, attrs):
        unknown = sorted(set(getattr(self, "initial_data", {}) or {}) - set(self.fields))
        if unknown:
            raise serializers.ValidationError({name: ["Unknown field."] for name in unknown})
        return attrs


class HHMMField(serializers.CharField):
    def to_internal_value(self, data):
        from oncall.schedules import parse_hhmm

        try:
            return parse_hhmm(data)
        except ValueError as exc:
            raise serializers.ValidationError(str(exc)) from None

    def to_representation(self, value):
        return value.strftime("%H:%M")


class RestrictionSerializer(StrictSerializer):
    weekdays = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=7), allow_empty=False
    )
    start = HHMMField()
    end = HHMMField()

    def to_representation(self, value):
        return value

    def validate(self, attrs):
        attrs = super().validate(attrs)
        return {
            "weekdays": sorted(set(attrs["weekdays"])),
            "start": attrs["start"].strftime("%H:%M"),
            "end": attrs["end"].strftime("%H:%M"),
        }


class LayerInputSerializer(StrictSerializer):
    name = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    users = serializers.ListField(child=serializers.IntegerField(), allow_empty=False)
    rotation = serializers.ChoiceField(choices=Rotation.choices, default=Rotation.WEEKLY)
    shift_length_hours = serializers.IntegerField(
        min_value=1, max_value=24 * 366, required=False, allow_null=True, default=None
    )
    handoff_time = HHMMField()
    start = serializers.DateField()
    restrictions = RestrictionSerializer(many=True, required=False, default=list)


class ScheduleInputSerializer(StrictSerializer):
    team = serializers.IntegerField()
    name = serializers.CharField(max_length=100)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    time_zone = serializers.CharField(max_length=64, default="UTC")
    layers = LayerInputSerializer(many=True, required=False, default=list)


class ScheduleUpdateInputSerializer(StrictSerializer):
    name = serializers.CharField(max_length=100, required=False)
    description = serializers.CharField(required=False, allow_blank=True)
    time_zone = serializers.CharField(max_length=64, required=False)
    layers = LayerInputSerializer(many=True, required=False)


class OverrideInputSerializer(StrictSerializer):
    user = serializers.IntegerField()
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()


class TargetSerializer(StrictSerializer):
    type = serializers.ChoiceField(choices=TargetType.choices)
    id = serializers.IntegerField()


class RuleInputSerializer(StrictSerializer):
    delay_minutes = serializers.IntegerField(min_value=1, max_value=24 * 60)
    targets = TargetSerializer(many=True, allow_empty=False)


class PolicyInputSerializer(StrictSerializer):
    team = serializers.IntegerField()
    name = serializers.CharField(max_length=100)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    repeat = serializers.IntegerField(min_value=0, max_value=9, default=0)
    rules = RuleInputSerializer(many=True, allow_empty=False)


class PolicyUpdateInputSerializer(StrictSerializer):
    name = serializers.CharField(max_length=100, required=False)
    description = serializers.CharField(required=False, allow_blank=True)
    repeat = serializers.IntegerField(min_value=0, max_value=9, required=False)
    rules = RuleInputSerializer(many=True, required=False, allow_empty=False)


class TeamPolicyInputSerializer(StrictSerializer):
    escalation_policy = serializers.IntegerField(allow_null=True)


class ContactMethodInputSerializer(StrictSerializer):
    kind = serializers.ChoiceField(choices=ContactKind.choices)
    address = serializers.CharField(max_length=500)
    label = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    secret = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    enabled = serializers.BooleanField(default=True)
    min_interval_seconds = serializers.IntegerField(
        min_value=0, max_value=3600, required=False, allow_null=True, default=None
    )


class ContactMethodUpdateInputSerializer(StrictSerializer):
    address = serializers.CharField(max_length=500, required=False)
    label = serializers.CharField(max_length=100, required=False, allow_blank=True)
    secret = serializers.CharField(max_length=200, required=False, allow_blank=True)
    enabled = serializers.BooleanField(required=False)
    min_interval_seconds = serializers.IntegerField(min_value=0, max_value=3600, required=False)


class PreferenceInputSerializer(StrictSerializer):
    notify_hours_before_shift = serializers.IntegerField(
        min_value=0, max_value=48, allow_null=True, required=False, default=None
    )
    notify_at_shift_end = serializers.BooleanField(required=False, default=False)


# --- output -----------------------------------------------------------------------------


class LayerOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    position = serializers.IntegerField()
    name = serializers.CharField()
    users = serializers.SerializerMethodField()
    rotation = serializers.CharField()
    shift_length_hours = serializers.IntegerField(allow_null=True)
    handoff_time = HHMMField()
    start = serializers.DateField()
    restrictions = serializers.JSONField()

    def get_users(self, layer) -> list[int]:
        return [m.user_id for m in layer.members.all()]


class ScheduleOutputSerializer(serializers.ModelSerializer):
    layers = LayerOutputSerializer(many=True, read_only=True)
    ical_url = serializers.SerializerMethodField()
    users_without_contact_method = serializers.SerializerMethodField()

    class Meta:
        model = Schedule
        fields = [
            "id",
            "team",
            "name",
            "description",
            "time_zone",
            "layers",
            "ical_url",
            "users_without_contact_method",
        ]

    def get_ical_url(self, schedule) -> str:
        return settings.SITE_URL + reverse("schedule-ical-feed", args=[schedule.ical_token])

    def get_users_without_contact_method(self, schedule) -> list[dict]:
        flagged = self.context.get("uncontactable", {}).get(schedule.pk, [])
        return UserRefSerializer(flagged, many=True).data


class ShiftOutputSerializer(serializers.Serializer):
    user = UserRefSerializer(allow_null=True)
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()


class GapOutputSerializer(serializers.Serializer):
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()


class OverrideOutputSerializer(serializers.ModelSerializer):
    user = UserRefSerializer(read_only=True)

    class Meta:
        model = ScheduleOverride
        fields = ["id", "user", "start", "end", "created_at"]


class PolicyOutputSerializer(serializers.ModelSerializer):
    rules = serializers.SerializerMethodField()

    class Meta:
        model = EscalationPolicy
        fields = ["id", "team", "name", "description", "repeat", "rules"]

    def get_rules(self, policy) -> list[dict]:
        return [
            {
                "delay_minutes": rule.delay_minutes,
                "targets": [{"type": t.type, "id": t.target_id} for t in rule.targets.all()],
            }
            for rule in policy.rules.all()
        ]


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
