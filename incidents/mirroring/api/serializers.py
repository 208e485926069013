"""Serializers of the PagerDuty mirrors API. The routing key is write-only: the output
shows its first characters."""

from rest_framework import serializers

from incidents.api.serializers import (
    TeamScopedPrimaryKeyField,
    services_visible_to,
    teams_visible_to,
)
from incidents.mirroring.models import PagerDutyMirror


class PagerDutyMirrorOutputSerializer(serializers.ModelSerializer):
    routing_key_hint = serializers.SerializerMethodField()

    class Meta:
        model = PagerDutyMirror
        fields = ["id", "team", "service", "enabled", "routing_key_hint", "created_at"]

    def get_routing_key_hint(self, obj: PagerDutyMirror) -> str:
        return obj.routing_key[:4] + "…"


class PagerDutyMirrorCreateInputSerializer(serializers.Serializer):
    team = TeamScopedPrimaryKeyField(model_name="team", queryset_for_user=teams_visible_to)
    service = TeamScopedPrimaryKeyField(
        model_name="service", queryset_for_user=services_visible_to, required=False, allow_null=True
    )
    routing_key = serializers.CharField(max_length=64, write_only=True)
    enabled = serializers.BooleanField(required=False, default=True)


class PagerDutyMirrorUpdateInputSerializer(serializers.Serializer):
    routing_key = serializers.CharField(max_length=64, required=False)
    enabled = serializers.BooleanField(required=False)
