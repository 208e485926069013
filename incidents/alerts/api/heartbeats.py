"""Heartbeat monitors of the caller's teams: members read, managers create and delete
(the service checks). The pings themselves are Opsgenie-compatible and live in
``incidents.alerts.api.opsgenie``."""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from common.api import StrictInputMixin
from incidents.alerts.models import HeartbeatMonitor
from incidents.alerts.selectors import integration_list
from incidents.alerts.services import heartbeats
from incidents.api.serializers import (
    TeamScopedPrimaryKeyField,
    services_visible_to,
    teams_visible_to,
)


def _integrations_visible_to(user):
    return integration_list(user=user)


class HeartbeatMonitorOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = HeartbeatMonitor
        fields = [
            "id",
            "team",
            "service",
            "integration",
            "name",
            "interval_seconds",
            "enabled",
            "last_ping_at",
            "expires_at",
            "expired",
            "created_at",
        ]


class HeartbeatMonitorCreateInputSerializer(StrictInputMixin, serializers.Serializer):
    team = TeamScopedPrimaryKeyField(model_name="team", queryset_for_user=teams_visible_to)
    name = serializers.CharField(max_length=100)
    interval_seconds = serializers.IntegerField(
        min_value=heartbeats.MIN_INTERVAL_SECONDS, max_value=heartbeats.MAX_INTERVAL_SECONDS
    )
    integration = TeamScopedPrimaryKeyField(
        model_name="integration", queryset_for_user=_integrations_visible_to
    )
    service = TeamScopedPrimaryKeyField(
        model_name="service", queryset_for_user=services_visible_to, required=False, allow_null=True
    )
    enabled = serializers.BooleanField(required=False, default=True)


class HeartbeatMonitorViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Heartbeat monitors: something that must ping ``/v2/heartbeats/<name>/ping`` (with
    its integration's key, ``Authorization: GenieKey <key>``) at least every
    ``interval_seconds``, or an incident opens."""

    serializer_class = HeartbeatMonitorOutputSerializer
    filterset_fields = ["team", "enabled", "expired"]

    def get_queryset(self):
        return heartbeats.heartbeat_monitor_list(user=self.request.user)

    def retrieve(self, request: Request, pk: str) -> Response:
        monitor = heartbeats.heartbeat_monitor_get(user=request.user, monitor_id=pk)
        return Response(HeartbeatMonitorOutputSerializer(monitor).data)

    @extend_schema(
        request=HeartbeatMonitorCreateInputSerializer,
        responses={201: HeartbeatMonitorOutputSerializer},
    )
    def create(self, request: Request) -> Response:
        data = HeartbeatMonitorCreateInputSerializer(
            data=request.data, context={"request": request}
        )
        data.is_valid(raise_exception=True)
        monitor = heartbeats.heartbeat_monitor_create(actor=request.user, **data.validated_data)
        return Response(
            HeartbeatMonitorOutputSerializer(monitor).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(request=None, responses={204: None})
    def destroy(self, request: Request, pk: str) -> Response:
        monitor = heartbeats.heartbeat_monitor_get(user=request.user, monitor_id=pk)
        heartbeats.heartbeat_monitor_delete(actor=request.user, monitor=monitor)
        return Response(status=status.HTTP_204_NO_CONTENT)
