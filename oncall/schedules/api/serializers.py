"""Serializers of the schedules API: schedules with their layers and restrictions,
overrides (input), and schedules, shifts, gaps and overrides (output)."""

from django.conf import settings
from django.core.validators import MaxLengthValidator
from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from common.limits import DESCRIPTION_LENGTH
from oncall.schedules.models import Rotation, Schedule, ScheduleOverride
from oncall.schedules.selectors import parse_hhmm
from oncall.teams.api.serializers import OnCallInputSerializer, UserRefSerializer

# --- input ------------------------------------------------------------------------------


@extend_schema_field({"type": "string", "maxLength": 8, "example": "09:00"})
class HHMMField(serializers.CharField):
    """A wall-clock time written "HH:MM"."""

    max_chars = 8  # "HH:MM", with room for "9:00 " typed by hand (the schema says 8 too)

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", self.max_chars)
        super().__init__(**kwargs)
        # The length is checked on the text below: the validators run on the parsed time.
        self.validators = [v for v in self.validators if not isinstance(v, MaxLengthValidator)]

    def to_internal_value(self, data):
        if isinstance(data, str) and len(data) > self.max_chars:
            raise serializers.ValidationError(f"At most {self.max_chars} characters, as HH:MM.")
        try:
            return parse_hhmm(data)
        except ValueError as exc:
            raise serializers.ValidationError(str(exc)) from None

    def to_representation(self, value):
        return value.strftime("%H:%M")


class RestrictionSerializer(OnCallInputSerializer):
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


class LayerInputSerializer(OnCallInputSerializer):
    name = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    users = serializers.ListField(child=serializers.IntegerField(), allow_empty=False)
    rotation = serializers.ChoiceField(choices=Rotation.choices, default=Rotation.WEEKLY)
    shift_length_hours = serializers.IntegerField(
        min_value=1, max_value=24 * 366, required=False, allow_null=True, default=None
    )
    handoff_time = HHMMField()
    start = serializers.DateField()
    restrictions = RestrictionSerializer(many=True, required=False, default=list)


class ScheduleInputSerializer(OnCallInputSerializer):
    team = serializers.IntegerField()
    name = serializers.CharField(max_length=100)
    description = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=DESCRIPTION_LENGTH
    )
    time_zone = serializers.CharField(max_length=64, default="UTC")
    layers = LayerInputSerializer(many=True, required=False, default=list)


class ScheduleUpdateInputSerializer(OnCallInputSerializer):
    name = serializers.CharField(max_length=100, required=False)
    description = serializers.CharField(
        required=False, allow_blank=True, max_length=DESCRIPTION_LENGTH
    )
    time_zone = serializers.CharField(max_length=64, required=False)
    layers = LayerInputSerializer(many=True, required=False)


class OverrideInputSerializer(OnCallInputSerializer):
    user = serializers.IntegerField()
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()


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
        return settings.SITE_URL + reverse("feeds:schedule-ical-feed", args=[schedule.ical_token])

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


class ScheduleDetailOutputSerializer(ScheduleOutputSerializer):
    """A schedule as ``GET /schedules/{id}/`` answers it: with its gaps (the views add them
    from ``schedule_gaps``; this class says so in the schema)."""

    gaps = GapOutputSerializer(many=True, read_only=True, help_text="Gaps in the next 14 days.")

    class Meta(ScheduleOutputSerializer.Meta):
        fields = [*ScheduleOutputSerializer.Meta.fields, "gaps"]


class OverrideOutputSerializer(serializers.ModelSerializer):
    user = UserRefSerializer(read_only=True)

    class Meta:
        model = ScheduleOverride
        fields = ["id", "user", "start", "end", "created_at"]
