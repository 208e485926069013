import datetime

from django.utils import timezone
from rest_framework import serializers

from common.api import StrictInputMixin
from common.limits import POSTMORTEM_SECTION_LENGTH
from incidents.api.serializers import TeamScopedPrimaryKeyField, UserIdField
from oncall.teams.api.serializers import UserRefSerializer
from postmortems import sections
from postmortems.models import (
    ActionItem,
    ActionItemKind,
    ActionItemPriority,
    ActionItemStatus,
    Amendment,
    ContributingFactor,
    FactorCategory,
    FiveWhy,
    Postmortem,
    TimelineEntry,
)


def _incidents_of(user):
    from incidents.selectors import incident_list

    return incident_list(user=user)


def _postmortems_of(user):
    from postmortems.selectors import postmortem_list

    return postmortem_list(user=user)


class RejectUnknownFieldsMixin(StrictInputMixin):
    field_hints = {"status": "Change the status with POST …/status/."}


# --- output ---------------------------------------------------------------------------


class IncidentRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    reference = serializers.CharField(read_only=True)
    title = serializers.CharField(read_only=True)
    severity = serializers.CharField(source="severity.name", read_only=True)
    status = serializers.CharField(read_only=True)
    triggered_at = serializers.DateTimeField(read_only=True)
    resolved_at = serializers.DateTimeField(read_only=True)


class ActionItemOutputSerializer(serializers.ModelSerializer):
    team = serializers.IntegerField(source="incident.team_id", read_only=True)
    incident = serializers.IntegerField(source="incident_id", read_only=True)
    incident_reference = serializers.CharField(source="incident.reference", read_only=True)
    postmortem = serializers.IntegerField(source="postmortem_id", read_only=True, allow_null=True)
    owner = UserRefSerializer(allow_null=True, read_only=True)
    overdue = serializers.SerializerMethodField()
    due_at = serializers.SerializerMethodField(
        help_text="When the item becomes overdue: the start of the day after due_date."
    )
    sla_breached_at = serializers.DateTimeField(
        source="marked_overdue_at",
        read_only=True,
        allow_null=True,
        help_text="When the overdue task first saw it overdue (same as marked_overdue_at).",
    )

    class Meta:
        model = ActionItem
        fields = [
            "id",
            "team",
            "incident",
            "incident_reference",
            "postmortem",
            "title",
            "description",
            "owner",
            "priority",
            "due_date",
            "due_at",
            "kind",
            "status",
            "wont_do_reason",
            "completed_at",
            "tracker_url",
            "overdue",
            "sla_breached_at",
            "marked_overdue_at",
            "created_at",
            "updated_at",
        ]

    def get_overdue(self, obj: ActionItem) -> bool:
        return obj.is_overdue(self.context.get("today"))

    def get_due_at(self, obj: ActionItem) -> datetime.datetime | None:
        if obj.due_date >= datetime.date.max:
            return None
        day_after = obj.due_date + datetime.timedelta(days=1)
        return datetime.datetime.combine(
            day_after, datetime.time(), tzinfo=timezone.get_current_timezone()
        )


class FiveWhyOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = FiveWhy
        fields = ["id", "position", "question", "answer"]


class ContributingFactorOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = ContributingFactor
        fields = ["id", "position", "category", "description"]


class TimelineEntryOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = TimelineEntry
        fields = ["id", "occurred_at", "description", "source_event"]


class AmendmentOutputSerializer(serializers.ModelSerializer):
    author = UserRefSerializer(allow_null=True, read_only=True)

    class Meta:
        model = Amendment
        fields = ["id", "created_at", "author", "reason", "changes"]


class PostmortemListOutputSerializer(serializers.ModelSerializer):
    team = serializers.IntegerField(source="incident.team_id", read_only=True)
    incident = IncidentRefSerializer(read_only=True)
    owner = UserRefSerializer(allow_null=True, read_only=True)
    overdue = serializers.SerializerMethodField()
    completed_at = serializers.DateTimeField(
        source="published_at", read_only=True, allow_null=True, help_text="Same as published_at."
    )

    class Meta:
        model = Postmortem
        fields = [
            "id",
            "team",
            "incident",
            "status",
            "required",
            "owner",
            "due_at",
            "overdue",
            "sla_breached_at",
            "escalated_at",
            "submitted_at",
            "published_at",
            "completed_at",
            "created_at",
            "updated_at",
        ]

    def get_overdue(self, obj: Postmortem) -> bool:
        return (
            not obj.is_published
            and obj.due_at is not None
            and obj.due_at < self.context.get("now", timezone.now())
        )


class PostmortemOutputSerializer(PostmortemListOutputSerializer):
    reviewers = UserRefSerializer(many=True, read_only=True)
    approved_by = UserRefSerializer(allow_null=True, read_only=True)
    duration_seconds = serializers.SerializerMethodField()
    whys = FiveWhyOutputSerializer(many=True, read_only=True)
    contributing_factors = ContributingFactorOutputSerializer(many=True, read_only=True)
    timeline_entries = TimelineEntryOutputSerializer(many=True, read_only=True)
    action_items = ActionItemOutputSerializer(many=True, read_only=True)
    amendments = AmendmentOutputSerializer(many=True, read_only=True)

    class Meta(PostmortemListOutputSerializer.Meta):
        fields = [
            *PostmortemListOutputSerializer.Meta.fields,
            "duration_seconds",
            *sections.FIELDS,
            "action_items",
            "reviewers",
            "approved_by",
            "follow_up_review_date",
            "confirmed_blameless_warnings",
            "amendments",
        ]

    def get_duration_seconds(self, obj: Postmortem) -> int | None:
        duration = obj.duration
        return None if duration is None else int(duration.total_seconds())


class BlamelessWarningSerializer(serializers.Serializer):
    field = serializers.CharField()
    rule = serializers.CharField()
    excerpt = serializers.CharField()
    match = serializers.CharField()
    suggestion = serializers.CharField()


class BlamelessCheckOutputSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    warnings = BlamelessWarningSerializer(many=True)


class PostmortemHistoryOutputSerializer(serializers.Serializer):
    history_date = serializers.DateTimeField()
    history_type = serializers.CharField()
    history_user = serializers.CharField(allow_null=True)
    history_change_reason = serializers.CharField()
    status = serializers.CharField()


class BoardOwnerSerializer(serializers.Serializer):
    owner = UserRefSerializer(allow_null=True)
    open = serializers.IntegerField()
    overdue = serializers.IntegerField()


class BoardColumnsSerializer(serializers.Serializer):
    open = ActionItemOutputSerializer(many=True)
    in_progress = ActionItemOutputSerializer(many=True)
    done = ActionItemOutputSerializer(many=True)
    wont_do = ActionItemOutputSerializer(many=True)


class BoardOutputSerializer(serializers.Serializer):
    columns = BoardColumnsSerializer()
    owners = BoardOwnerSerializer(many=True)


# --- input ----------------------------------------------------------------------------


class PostmortemCreateInputSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    incident = TeamScopedPrimaryKeyField(model_name="incident", queryset_for_user=_incidents_of)


class FiveWhyInputSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    id = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    question = serializers.CharField(max_length=5_000)
    answer = serializers.CharField(required=False, allow_blank=True, default="", max_length=10_000)


class ContributingFactorInputSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    id = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    category = serializers.ChoiceField(choices=FactorCategory.choices)
    description = serializers.CharField(max_length=10_000)


class TimelineEntryInputSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    id = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    occurred_at = serializers.DateTimeField()
    description = serializers.CharField(max_length=10_000)


def _figure_input(figure: sections.Figure) -> serializers.Field:
    if figure.kind == sections.FigureKind.MONEY:
        return serializers.DecimalField(
            required=False, allow_null=True, max_digits=14, decimal_places=2, min_value=0
        )
    return serializers.IntegerField(
        required=False, allow_null=True, min_value=0, max_value=2**31 - 1
    )


def _section_inputs() -> dict[str, serializers.Field]:
    """The text sections and figures of postmortems.sections, as optional inputs."""
    fields: dict[str, serializers.Field] = {}
    for section in sections.SECTIONS:
        if section.kind == sections.SectionKind.TEXT:
            fields[section.name] = serializers.CharField(
                required=False, allow_blank=True, max_length=POSTMORTEM_SECTION_LENGTH
            )
        fields.update({figure.name: _figure_input(figure) for figure in section.figures})
    return fields


class PostmortemUpdateInputSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    """The text sections and figures come from postmortems.sections (``get_fields``);
    the rows sections are declared here, each with its row serializer."""

    owner = UserIdField(required=False, allow_null=True)
    reviewers = serializers.ListField(child=UserIdField(), required=False, max_length=50)
    whys = FiveWhyInputSerializer(many=True, required=False, max_length=50)
    contributing_factors = ContributingFactorInputSerializer(
        many=True, required=False, max_length=100
    )
    timeline_entries = TimelineEntryInputSerializer(many=True, required=False, max_length=1_000)
    amendment_reason = serializers.CharField(required=False, allow_blank=True, max_length=5_000)

    def get_fields(self):
        return {**_section_inputs(), **super().get_fields()}

    def validate(self, attrs):
        attrs = super().validate(attrs)
        if not {k for k in attrs if k != "amendment_reason"}:
            raise serializers.ValidationError("Nothing to change.")
        return attrs


class PublishInputSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    confirm_blameless_warnings = serializers.BooleanField(required=False, default=False)


class ReasonInputSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=5_000)


class ActionItemCreateInputSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    title = serializers.CharField(max_length=255)
    owner = UserIdField()
    priority = serializers.ChoiceField(choices=ActionItemPriority.choices)
    due_date = serializers.DateField()
    postmortem = TeamScopedPrimaryKeyField(
        model_name="postmortem", queryset_for_user=_postmortems_of, required=False
    )
    incident = TeamScopedPrimaryKeyField(
        model_name="incident", queryset_for_user=_incidents_of, required=False
    )
    description = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=20_000
    )
    kind = serializers.ChoiceField(
        choices=ActionItemKind.choices, default=ActionItemKind.CORRECTIVE
    )
    tracker_url = serializers.URLField(required=False, allow_blank=True, default="", max_length=500)

    def validate(self, attrs):
        attrs = super().validate(attrs)
        if attrs.get("postmortem") is None and attrs.get("incident") is None:
            raise serializers.ValidationError(
                {
                    "postmortem": ["Give a postmortem or an incident."],
                    "incident": ["Give a postmortem or an incident."],
                }
            )
        return attrs


class ActionItemUpdateInputSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    title = serializers.CharField(max_length=255, required=False)
    owner = UserIdField(required=False)
    priority = serializers.ChoiceField(choices=ActionItemPriority.choices, required=False)
    due_date = serializers.DateField(required=False)
    description = serializers.CharField(required=False, allow_blank=True, max_length=20_000)
    kind = serializers.ChoiceField(choices=ActionItemKind.choices, required=False)
    tracker_url = serializers.URLField(required=False, allow_blank=True, max_length=500)

    def validate(self, attrs):
        attrs = super().validate(attrs)
        if not attrs:
            raise serializers.ValidationError("Nothing to change.")
        return attrs


class ActionItemStatusInputSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    status = serializers.ChoiceField(choices=ActionItemStatus.choices)
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=5_000)
