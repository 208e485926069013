"""Serializers of the communication API: status updates, an incident's status-page
settings and Slack channel, and the public status page (only what may be public)."""

from rest_framework import serializers

from common.api import StrictInputMixin
from incidents.communication.models import (
    IncidentChannel,
    IncidentCommunication,
    StatusPageState,
    StatusUpdate,
    UpdateAudience,
)
from oncall.teams.api.serializers import UserRefSerializer


class StatusUpdateOutputSerializer(serializers.ModelSerializer):
    author = UserRefSerializer(allow_null=True, read_only=True)

    class Meta:
        model = StatusUpdate
        fields = ["id", "incident", "message", "status", "audience", "author", "created_at"]


class StatusUpdateInputSerializer(serializers.Serializer):
    message = serializers.CharField(max_length=10_000)
    audience = serializers.ChoiceField(choices=UpdateAudience.choices)


class IncidentCommunicationOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = IncidentCommunication
        fields = ["status_page_state", "public_title", "customer_impact"]


class IncidentCommunicationInputSerializer(StrictInputMixin, serializers.Serializer):
    require_changes = True

    status_page_state = serializers.ChoiceField(
        choices=[("", "derived"), *StatusPageState.choices], required=False, allow_blank=True
    )
    public_title = serializers.CharField(max_length=255, required=False, allow_blank=True)
    customer_impact = serializers.BooleanField(required=False, allow_null=True)


class IncidentChannelOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = IncidentChannel
        fields = ["name", "channel_id", "state", "error", "created_at"]


class PublicUpdateSerializer(serializers.Serializer):
    id = serializers.CharField()
    message = serializers.CharField()
    status = serializers.CharField()
    created_at = serializers.DateTimeField()


class PublicIncidentSerializer(serializers.Serializer):
    id = serializers.CharField()
    title = serializers.CharField()
    state = serializers.CharField()
    state_label = serializers.CharField()
    status = serializers.CharField()
    started_at = serializers.DateTimeField()
    resolved_at = serializers.DateTimeField(allow_null=True)
    services = serializers.ListField(child=serializers.CharField())
    updates = PublicUpdateSerializer(many=True)


class PublicServiceSerializer(serializers.Serializer):
    name = serializers.CharField()
    slug = serializers.CharField()
    state = serializers.CharField()
    state_label = serializers.CharField()


class PublicMaintenanceSerializer(serializers.Serializer):
    id = serializers.CharField()
    title = serializers.CharField()
    description = serializers.CharField()
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    in_progress = serializers.BooleanField()
    services = serializers.ListField(child=serializers.CharField())


class PublicDaySerializer(serializers.Serializer):
    date = serializers.DateField()
    incidents = PublicIncidentSerializer(many=True)


class StatusPageSerializer(serializers.Serializer):
    generated_at = serializers.DateTimeField()
    overall = serializers.CharField()
    overall_label = serializers.CharField()
    services = PublicServiceSerializer(many=True)
    incidents = PublicIncidentSerializer(many=True)
    maintenance = PublicMaintenanceSerializer(many=True)
    history = PublicDaySerializer(many=True)
