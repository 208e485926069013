"""Serializers of the incidents API: input serializers validate what a client sends (ids
limited to the caller's teams, severities by name), output serializers shape what it
gets. Rooms reuse TeamScopedPrimaryKeyField and its ``*_visible_to`` querysets."""

from django.contrib.auth import get_user_model
from django.core.exceptions import ObjectDoesNotExist
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from common.api import StrictInputMixin
from incidents.models import Incident, IncidentStatus, Resolution, Service, Severity, TimelineEvent
from incidents.selectors import service_list
from incidents.services.common import INCIDENT_TEXT_MAX
from oncall.policies.selectors import escalation_policy_list
from oncall.teams.api.serializers import UserRefSerializer
from oncall.teams.selectors import team_list
from outbox.models import Urgency

User = get_user_model()


@extend_schema_field(OpenApiTypes.INT)
class TeamScopedPrimaryKeyField(serializers.PrimaryKeyRelatedField):
    """A primary key limited to what the requesting user may see, with an error that
    does not reveal whether another team's object exists."""

    default_error_messages = {
        "does_not_exist": "No {model} with id {pk_value} among your teams.",
        "incorrect_type": "Expected an id (integer), got {data_type}.",
    }

    def __init__(self, *, model_name: str, queryset_for_user, **kwargs):
        self.model_name = model_name
        self.queryset_for_user = queryset_for_user
        super().__init__(**kwargs)

    def get_queryset(self):
        return self.queryset_for_user(self.context["request"].user)

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int | str):
            self.fail("incorrect_type", data_type=type(data).__name__)
        try:
            pk = int(data)
        except ValueError:
            self.fail("incorrect_type", data_type=type(data).__name__)
        try:
            return self.get_queryset().get(pk=pk)
        except ObjectDoesNotExist:
            self.fail("does_not_exist", model=self.model_name, pk_value=data)


SEVERITY_NAME_LENGTH = Severity._meta.get_field("name").max_length or 10


@extend_schema_field(
    {
        "type": "string",
        "maxLength": SEVERITY_NAME_LENGTH,
        "description": 'A severity name, e.g. "SEV1".',
    }
)
class SeverityField(serializers.SlugRelatedField):
    def __init__(self, **kwargs):
        super().__init__(slug_field="name", queryset=Severity.objects.all(), **kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str):
            raise serializers.ValidationError('Expected a severity name such as "SEV1".')
        if len(data) > SEVERITY_NAME_LENGTH:
            raise serializers.ValidationError(
                f"A severity name has at most {SEVERITY_NAME_LENGTH} characters."
            )
        severity = Severity.objects.filter(name__iexact=data.strip()).first()
        if severity is None:
            names = ", ".join(Severity.objects.values_list("name", flat=True))
            raise serializers.ValidationError(f"Unknown severity {data!r}; choose one of {names}.")
        return severity


class UserIdField(serializers.PrimaryKeyRelatedField):
    def __init__(self, **kwargs):
        kwargs.setdefault("queryset", User.objects.filter(is_active=True))
        super().__init__(**kwargs)


# --- output ---------------------------------------------------------------------------


class SeverityUpdateInputSerializer(StrictInputMixin, serializers.Serializer):
    urgency = serializers.ChoiceField(
        choices=Urgency.choices,
        help_text="high: pages at once, day or night; low: within working hours.",
    )


class SeverityOutputSerializer(serializers.ModelSerializer):
    ack_target_seconds = serializers.SerializerMethodField()
    resolve_target_seconds = serializers.SerializerMethodField()
    status_page_deadline_seconds = serializers.SerializerMethodField()
    update_cadence_seconds = serializers.SerializerMethodField()

    class Meta:
        model = Severity
        fields = [
            "id",
            "level",
            "name",
            "label",
            "description",
            "examples",
            "ack_target_seconds",
            "resolve_target_seconds",
            "postmortem_required",
            "status_page_deadline_seconds",
            "update_cadence_seconds",
            "urgency",
        ]

    @staticmethod
    def _seconds(value) -> int | None:
        return None if value is None else int(value.total_seconds())

    def get_ack_target_seconds(self, obj: Severity) -> int:
        return self._seconds(obj.ack_target)

    def get_resolve_target_seconds(self, obj: Severity) -> int:
        return self._seconds(obj.resolve_target)

    def get_status_page_deadline_seconds(self, obj: Severity) -> int | None:
        return self._seconds(obj.status_page_deadline)

    def get_update_cadence_seconds(self, obj: Severity) -> int | None:
        return self._seconds(obj.update_cadence)


class ServiceOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = Service
        fields = ["id", "team", "name", "slug", "description", "public", "escalation_policy"]


class ServiceRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Service
        fields = ["id", "slug", "name"]


class IncidentOutputSerializer(serializers.ModelSerializer):
    reference = serializers.CharField(read_only=True)
    severity = serializers.CharField(source="severity.name", read_only=True)
    commander = UserRefSerializer(allow_null=True, read_only=True)
    scribe = UserRefSerializer(allow_null=True, read_only=True)
    communications_lead = UserRefSerializer(allow_null=True, read_only=True)
    services = ServiceRefSerializer(many=True, read_only=True)

    class Meta:
        model = Incident
        fields = [
            "id",
            "reference",
            "number",
            "team",
            "title",
            "summary",
            "severity",
            "status",
            "resolution",
            "commander",
            "scribe",
            "communications_lead",
            "services",
            "impact",
            "private",
            "dedup_key",
            "source",
            "triggered_at",
            "acknowledged_at",
            "resolved_at",
            "reopen_count",
            "updated_at",
        ]


class TimelineEventOutputSerializer(serializers.ModelSerializer):
    actor = UserRefSerializer(allow_null=True, read_only=True)

    class Meta:
        model = TimelineEvent
        fields = ["id", "created_at", "kind", "actor", "message", "data"]


class HistoryRecordOutputSerializer(serializers.Serializer):
    history_id = serializers.IntegerField()
    history_date = serializers.DateTimeField()
    history_type = serializers.CharField()
    history_user = serializers.CharField(allow_null=True)
    status = serializers.CharField()
    severity = serializers.CharField(allow_null=True)
    changes = serializers.DictField()


# --- input ----------------------------------------------------------------------------


def teams_visible_to(user):
    """The teams ``user`` may pick (for TeamScopedPrimaryKeyField)."""
    return team_list(user=user)


def services_visible_to(user):
    """The services ``user`` may pick (for TeamScopedPrimaryKeyField)."""
    return service_list(user=user)


def _policies_of(user):
    return escalation_policy_list(user=user)


class ServiceInputSerializer(serializers.Serializer):
    team = TeamScopedPrimaryKeyField(model_name="team", queryset_for_user=teams_visible_to)
    name = serializers.CharField(max_length=100)
    slug = serializers.SlugField(max_length=100, required=False, allow_blank=True)
    description = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=INCIDENT_TEXT_MAX
    )
    public = serializers.BooleanField(
        required=False, default=False, help_text="Shown on the status page."
    )
    escalation_policy = TeamScopedPrimaryKeyField(
        model_name="escalation policy",
        queryset_for_user=_policies_of,
        required=False,
        allow_null=True,
        default=None,
    )


class ServiceUpdateInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100, required=False)
    description = serializers.CharField(
        required=False, allow_blank=True, max_length=INCIDENT_TEXT_MAX
    )
    public = serializers.BooleanField(required=False, help_text="Shown on the status page.")
    escalation_policy = TeamScopedPrimaryKeyField(
        model_name="escalation policy",
        queryset_for_user=_policies_of,
        required=False,
        allow_null=True,
    )


class IncidentCreateInputSerializer(serializers.Serializer):
    team = TeamScopedPrimaryKeyField(model_name="team", queryset_for_user=teams_visible_to)
    title = serializers.CharField(max_length=255)
    severity = SeverityField()
    summary = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=INCIDENT_TEXT_MAX
    )
    commander = UserIdField(required=False, allow_null=True, default=None)
    scribe = UserIdField(required=False, allow_null=True, default=None)
    communications_lead = UserIdField(required=False, allow_null=True, default=None)
    services = serializers.ListField(
        child=TeamScopedPrimaryKeyField(
            model_name="service", queryset_for_user=services_visible_to
        ),
        required=False,
        default=list,
        max_length=100,
    )
    impact = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=INCIDENT_TEXT_MAX
    )
    private = serializers.BooleanField(required=False, default=False)


class IncidentUpdateInputSerializer(StrictInputMixin, serializers.Serializer):
    field_hints = {
        "status": "Change the status with the status, acknowledge, resolve or reopen actions."
    }
    require_changes = True

    title = serializers.CharField(max_length=255, required=False)
    severity = SeverityField(required=False)
    summary = serializers.CharField(required=False, allow_blank=True, max_length=INCIDENT_TEXT_MAX)
    commander = UserIdField(required=False, allow_null=True)
    scribe = UserIdField(required=False, allow_null=True)
    communications_lead = UserIdField(required=False, allow_null=True)
    services = serializers.ListField(
        child=TeamScopedPrimaryKeyField(
            model_name="service", queryset_for_user=services_visible_to
        ),
        required=False,
        max_length=100,
    )
    impact = serializers.CharField(required=False, allow_blank=True, max_length=INCIDENT_TEXT_MAX)
    private = serializers.BooleanField(required=False)


class MessageInputSerializer(serializers.Serializer):
    message = serializers.CharField(required=False, allow_blank=True, default="", max_length=10_000)


class NoteInputSerializer(serializers.Serializer):
    message = serializers.CharField(max_length=10_000)


class StatusInputSerializer(MessageInputSerializer):
    # The service takes it as ``to_status``.
    status = serializers.ChoiceField(choices=IncidentStatus.choices, source="to_status")


class ResolveInputSerializer(MessageInputSerializer):
    resolution = serializers.ChoiceField(choices=Resolution.choices, default=Resolution.FIXED)
