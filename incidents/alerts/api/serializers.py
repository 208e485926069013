"""Serializers of the integrations and alerts API. An integration's routing key is
output only in the answer to create and rotate-key (from the serializer context)."""

from rest_framework import serializers

from common.api import StrictInputMixin
from incidents.alerts.models import Alert, Integration, IntegrationKind
from incidents.alerts.services.integrations import integration_url
from incidents.api.serializers import (
    TeamScopedPrimaryKeyField,
    services_visible_to,
    teams_visible_to,
)


class IntegrationOutputSerializer(serializers.ModelSerializer):
    routing_key = serializers.SerializerMethodField(
        help_text="Shown only in the answer to create and rotate-key; null afterwards."
    )
    url = serializers.SerializerMethodField()

    class Meta:
        model = Integration
        fields = [
            "id",
            "team",
            "service",
            "name",
            "kind",
            "enabled",
            "routing_key",
            "routing_key_hint",
            "url",
            "severity_mapping",
            "default_severity",
            "auto_resolve",
            "rate_limit_per_minute",
            "storm_threshold_per_minute",
            "title_path",
            "dedup_key_path",
            "severity_path",
            "resolve_path",
            "resolve_value",
            "created_at",
        ]

    def get_routing_key(self, obj: Integration) -> str | None:
        return self.context.get("routing_key")

    def get_url(self, obj: Integration) -> str | None:
        return integration_url(obj, self.context.get("routing_key"))


class _IntegrationSettings(serializers.Serializer):
    service = TeamScopedPrimaryKeyField(
        model_name="service", queryset_for_user=services_visible_to, required=False, allow_null=True
    )
    enabled = serializers.BooleanField(required=False)
    severity_mapping = serializers.DictField(
        child=serializers.CharField(max_length=10), required=False
    )
    default_severity = serializers.CharField(max_length=10, required=False)
    auto_resolve = serializers.BooleanField(required=False)
    rate_limit_per_minute = serializers.IntegerField(min_value=0, required=False)
    storm_threshold_per_minute = serializers.IntegerField(min_value=0, required=False)
    title_path = serializers.CharField(max_length=200, required=False, allow_blank=True)
    dedup_key_path = serializers.CharField(max_length=200, required=False, allow_blank=True)
    severity_path = serializers.CharField(max_length=200, required=False, allow_blank=True)
    resolve_path = serializers.CharField(max_length=200, required=False, allow_blank=True)
    resolve_value = serializers.CharField(max_length=200, required=False, allow_blank=True)


class IntegrationCreateInputSerializer(_IntegrationSettings):
    team = TeamScopedPrimaryKeyField(model_name="team", queryset_for_user=teams_visible_to)
    name = serializers.CharField(max_length=100)
    kind = serializers.ChoiceField(choices=IntegrationKind.choices)


class IntegrationUpdateInputSerializer(StrictInputMixin, _IntegrationSettings):
    require_changes = True

    name = serializers.CharField(max_length=100, required=False)


class AlertOutputSerializer(serializers.ModelSerializer):
    severity = serializers.CharField(source="severity.name", allow_null=True, read_only=True)
    integration_name = serializers.CharField(source="integration.name", read_only=True)
    incident_reference = serializers.SerializerMethodField()

    class Meta:
        model = Alert
        fields = [
            "id",
            "integration",
            "integration_name",
            "incident",
            "incident_reference",
            "dedup_key",
            "is_open",
            "status",
            "summary",
            "source",
            "severity",
            "source_severity",
            "name",
            "labels",
            "count",
            "storm",
            "first_seen",
            "last_seen",
            "resolved_at",
            "payload",
        ]

    def get_incident_reference(self, obj: Alert) -> str | None:
        return obj.incident.reference if obj.incident_id else None


class AlertEventOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    received_at = serializers.DateTimeField()
    action = serializers.CharField()
    dedup_key = serializers.CharField()
    payload = serializers.JSONField()
