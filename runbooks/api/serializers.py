from rest_framework import serializers

from common.api import StrictInputMixin
from common.limits import RUNBOOK_BODY_LENGTH, RUNBOOK_TITLE_LENGTH
from incidents.api.serializers import (
    ServiceRefSerializer,
    SeverityField,
    TeamScopedPrimaryKeyField,
)
from oncall.teams.api.serializers import UserRefSerializer
from runbooks.models import REQUIRED_SECTIONS, Runbook, RunbookAttachment
from runbooks.rendering import missing_sections, render_markdown


def _teams_of(user):
    from oncall.teams.selectors import team_list

    return team_list(user=user)


def _services_of(user):
    from incidents.selectors import service_list

    return service_list(user=user)


class RunbookOutputSerializer(serializers.ModelSerializer):
    services = ServiceRefSerializer(many=True, read_only=True)
    severity_hint = serializers.CharField(source="severity_hint.name", default=None)
    body_html = serializers.SerializerMethodField()
    missing_sections = serializers.SerializerMethodField()
    stale = serializers.SerializerMethodField()

    class Meta:
        model = Runbook
        fields = [
            "id",
            "team",
            "title",
            "services",
            "matchers",
            "severity_hint",
            "body",
            "body_html",
            "missing_sections",
            "last_tested_at",
            "review_interval_days",
            "review_due_at",
            "stale",
            "stale_flagged_at",
            "created_at",
            "updated_at",
        ]

    def get_body_html(self, obj: Runbook) -> str:
        return render_markdown(obj.body)

    def get_missing_sections(self, obj: Runbook) -> list[str]:
        return missing_sections(obj.body, REQUIRED_SECTIONS)

    def get_stale(self, obj: Runbook) -> bool:
        return obj.review_due_at <= self.context["now"]


class RunbookListOutputSerializer(RunbookOutputSerializer):
    class Meta(RunbookOutputSerializer.Meta):
        fields = [f for f in RunbookOutputSerializer.Meta.fields if f not in ("body", "body_html")]


class RunbookInputSerializer(serializers.Serializer):
    team = TeamScopedPrimaryKeyField(model_name="team", queryset_for_user=_teams_of)
    title = serializers.CharField(max_length=RUNBOOK_TITLE_LENGTH)
    body = serializers.CharField(max_length=RUNBOOK_BODY_LENGTH, allow_blank=True)
    services = serializers.ListField(
        child=TeamScopedPrimaryKeyField(model_name="service", queryset_for_user=_services_of),
        required=False,
        default=list,
        max_length=100,
    )
    matchers = serializers.JSONField(required=False, default=dict)
    severity_hint = SeverityField(required=False, allow_null=True, default=None)
    review_interval_days = serializers.IntegerField(
        required=False, default=90, min_value=1, max_value=3650
    )
    last_tested_at = serializers.DateTimeField(required=False, allow_null=True, default=None)


class RunbookUpdateInputSerializer(StrictInputMixin, serializers.Serializer):
    require_changes = True

    title = serializers.CharField(max_length=RUNBOOK_TITLE_LENGTH, required=False)
    body = serializers.CharField(max_length=RUNBOOK_BODY_LENGTH, allow_blank=True, required=False)
    services = serializers.ListField(
        child=TeamScopedPrimaryKeyField(model_name="service", queryset_for_user=_services_of),
        required=False,
        max_length=100,
    )
    matchers = serializers.JSONField(required=False)
    severity_hint = SeverityField(required=False, allow_null=True)
    review_interval_days = serializers.IntegerField(required=False, min_value=1, max_value=3650)
    last_tested_at = serializers.DateTimeField(required=False, allow_null=True)


class TestedInputSerializer(serializers.Serializer):
    tested_at = serializers.DateTimeField(required=False, allow_null=True, default=None)


class VersionOutputSerializer(serializers.Serializer):
    history_id = serializers.IntegerField()
    history_date = serializers.DateTimeField()
    history_type = serializers.CharField()
    history_user = serializers.CharField(allow_null=True)
    title = serializers.CharField()
    body = serializers.CharField()
    matchers = serializers.JSONField()
    last_tested_at = serializers.DateTimeField(allow_null=True)
    review_interval_days = serializers.IntegerField()


class DiffOutputSerializer(serializers.Serializer):
    # "from" is a Python keyword: declared through the fields dict below.
    to = serializers.IntegerField()
    changes = serializers.DictField()
    body_diff = serializers.CharField()

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = serializers.IntegerField()
        return fields


class AttachmentOutputSerializer(serializers.ModelSerializer):
    runbook = serializers.SerializerMethodField()
    answered_by = UserRefSerializer(allow_null=True, read_only=True)

    class Meta:
        model = RunbookAttachment
        fields = [
            "id",
            "runbook",
            "matched_by",
            "score",
            "attached_at",
            "accuracy_prompted_at",
            "accurate",
            "accuracy_comment",
            "answered_by",
            "answered_at",
        ]

    def get_runbook(self, obj: RunbookAttachment) -> dict:
        return {
            "id": obj.runbook_id,
            "title": obj.runbook.title,
            "team": obj.runbook.team_id,
            "body_html": render_markdown(obj.runbook.body),
            "last_tested_at": obj.runbook.last_tested_at,
            "review_due_at": obj.runbook.review_due_at,
        }


class AccuracyInputSerializer(serializers.Serializer):
    accurate = serializers.BooleanField()
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)
