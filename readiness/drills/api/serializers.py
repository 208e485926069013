"""Drill API serializers: input apart from output; the report carries the measures and
findings as the page shows them."""

from rest_framework import serializers

from common.api import StrictInputMixin
from incidents.api.serializers import SeverityField, TeamScopedPrimaryKeyField, UserIdField
from incidents.models import Service
from oncall.teams.selectors import team_list
from postmortems.models import ActionItemPriority
from readiness.drills.models import Drill, DrillFinding
from runbooks.models import Runbook


def _teams_of(user):
    return team_list(user=user)


def _services_of(user):
    return Service.objects.filter(team__in=team_list(user=user))


def _runbooks_of(user):
    return Runbook.objects.filter(team__in=team_list(user=user))


class DrillScheduleInputSerializer(StrictInputMixin, serializers.Serializer):
    team = TeamScopedPrimaryKeyField(model_name="team", queryset_for_user=_teams_of)
    title = serializers.CharField(max_length=200)
    severity = SeverityField()
    scheduled_at = serializers.DateTimeField()
    scenario = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=20_000
    )
    service = TeamScopedPrimaryKeyField(
        model_name="service", queryset_for_user=_services_of, required=False, allow_null=True
    )
    runbook = TeamScopedPrimaryKeyField(
        model_name="runbook", queryset_for_user=_runbooks_of, required=False, allow_null=True
    )
    announced = serializers.BooleanField(default=True)
    postmortem_required = serializers.BooleanField(default=False)
    fault_start_url = serializers.URLField(
        required=False, allow_blank=True, default="", max_length=500
    )
    fault_stop_url = serializers.URLField(
        required=False, allow_blank=True, default="", max_length=500
    )


class FindingPromoteInputSerializer(StrictInputMixin, serializers.Serializer):
    owner = UserIdField()
    priority = serializers.ChoiceField(choices=ActionItemPriority.choices)
    due_date = serializers.DateField()
    title = serializers.CharField(required=False, allow_blank=True, default="", max_length=255)


class MeasureOutputSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    target_seconds = serializers.FloatField(allow_null=True)
    actual_seconds = serializers.FloatField(allow_null=True)
    met = serializers.BooleanField(allow_null=True)
    note = serializers.CharField()

    def to_representation(self, instance):
        return {
            "key": instance.key,
            "label": instance.label,
            "target_seconds": instance.target.total_seconds() if instance.target else None,
            "actual_seconds": instance.actual.total_seconds() if instance.actual else None,
            "met": instance.met,
            "note": instance.note,
        }


class FindingOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = DrillFinding
        fields = ["id", "measure", "title", "detail", "action_item", "created_at"]


class ProposedFindingOutputSerializer(serializers.Serializer):
    measure = serializers.CharField()
    title = serializers.CharField()
    detail = serializers.CharField()


class DrillOutputSerializer(serializers.ModelSerializer):
    team = serializers.IntegerField(source="team_id")
    severity = serializers.CharField(source="severity.name")
    incident_reference = serializers.SerializerMethodField()

    class Meta:
        model = Drill
        fields = [
            "id",
            "team",
            "service",
            "runbook",
            "title",
            "scenario",
            "severity",
            "scheduled_at",
            "announced",
            "postmortem_required",
            "status",
            "fault_start_url",
            "fault_stop_url",
            "incident",
            "incident_reference",
            "created_at",
            "started_at",
            "completed_at",
            "cancelled_at",
        ]

    def get_incident_reference(self, drill) -> str | None:
        return drill.incident.reference if drill.incident else None


class DrillReportOutputSerializer(serializers.Serializer):
    drill = DrillOutputSerializer()
    measures = MeasureOutputSerializer(many=True)
    findings = FindingOutputSerializer(many=True)
    proposed = ProposedFindingOutputSerializer(many=True)


class DrillCreatedOutputSerializer(DrillOutputSerializer):
    fault_secret = serializers.CharField(
        help_text="Signs the chaos tool's webhooks (X-Tocsin-Signature); shown to managers."
    )

    class Meta(DrillOutputSerializer.Meta):
        fields = [*DrillOutputSerializer.Meta.fields, "fault_secret"]
