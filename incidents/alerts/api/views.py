"""Integrations (where monitoring tools send alerts) and the alerts they produced: thin
views over the room's selectors and services."""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from incidents.alerts import selectors
from incidents.alerts import services as alert_services
from incidents.alerts.api.filters import AlertFilter
from incidents.alerts.api.serializers import (
    AlertEventOutputSerializer,
    AlertOutputSerializer,
    IntegrationCreateInputSerializer,
    IntegrationOutputSerializer,
    IntegrationUpdateInputSerializer,
)


class IntegrationViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Integrations of the caller's teams. Creating one, or rotating its key, answers
    with the routing key and the URL to configure — the only time the key is shown."""

    serializer_class = IntegrationOutputSerializer
    filterset_fields = ["team", "kind", "enabled"]

    def get_queryset(self):
        return selectors.integration_list(user=self.request.user)

    def retrieve(self, request: Request, pk: str) -> Response:
        integration = selectors.integration_get(user=request.user, integration_id=pk)
        return Response(IntegrationOutputSerializer(integration).data)

    @extend_schema(
        request=IntegrationCreateInputSerializer, responses={201: IntegrationOutputSerializer}
    )
    def create(self, request: Request) -> Response:
        data = IntegrationCreateInputSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        integration, key = alert_services.integration_create(
            actor=request.user, **data.validated_data
        )
        return Response(
            IntegrationOutputSerializer(integration, context={"routing_key": key}).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(
        request=IntegrationUpdateInputSerializer, responses={200: IntegrationOutputSerializer}
    )
    def partial_update(self, request: Request, pk: str) -> Response:
        integration = selectors.integration_get(user=request.user, integration_id=pk)
        data = IntegrationUpdateInputSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        integration = alert_services.integration_update(
            actor=request.user, integration=integration, **data.validated_data
        )
        return Response(IntegrationOutputSerializer(integration).data)

    @extend_schema(request=None, responses={200: IntegrationOutputSerializer})
    @action(detail=True, methods=["post"], url_path="rotate-key")
    def rotate_key(self, request: Request, pk: str) -> Response:
        integration = selectors.integration_get(user=request.user, integration_id=pk)
        integration, key = alert_services.integration_rotate_key(
            actor=request.user, integration=integration
        )
        return Response(IntegrationOutputSerializer(integration, context={"routing_key": key}).data)


class AlertViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Alerts of the caller's teams, newest first; searchable (``q``) and filterable by
    label (``label=severity:critical``)."""

    serializer_class = AlertOutputSerializer
    filterset_class = AlertFilter

    def get_queryset(self):
        return selectors.alert_list(user=self.request.user)

    def retrieve(self, request: Request, pk: str) -> Response:
        alert = selectors.alert_get(user=request.user, alert_id=pk)
        return Response(AlertOutputSerializer(alert).data)

    @extend_schema(responses={200: AlertEventOutputSerializer(many=True)})
    @action(detail=True, methods=["get"], filterset_class=None)
    def events(self, request: Request, pk: str) -> Response:
        """Every event received for this alert, as sent (newest first)."""
        alert = selectors.alert_get(user=request.user, alert_id=pk)
        page = self.paginate_queryset(selectors.alert_event_list(alert=alert))
        return self.get_paginated_response(AlertEventOutputSerializer(page, many=True).data)
