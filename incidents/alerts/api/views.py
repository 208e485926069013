"""Integrations (where monitoring tools send alerts) and the alerts they produced."""

import django_filters
from django.conf import settings
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from common.api import StrictInputMixin
from incidents.alerts import selectors
from incidents.alerts import services as alert_services
from incidents.alerts.models import Alert, Integration, IntegrationKind
from incidents.api.serializers import TeamScopedPrimaryKeyField, _services_of, _teams_of

# --- serializers ----------------------------------------------------------------------


def integration_url(integration: Integration, routing_key: str | None) -> str | None:
    """The address to configure in the sending tool (needs the key for keyed URLs)."""
    if integration.kind == IntegrationKind.EVENTS_V2:
        # PagerDuty clients take the base URL and post to /v2/enqueue themselves.
        return f"{settings.SITE_URL}/v2/enqueue"
    if routing_key is None:
        return None
    suffix = "alertmanager" if integration.kind == IntegrationKind.ALERTMANAGER else "webhook"
    return f"{settings.SITE_URL}/api/v1/integrations/{routing_key}/{suffix}/"


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
        model_name="service", queryset_for_user=_services_of, required=False, allow_null=True
    )
    enabled = serializers.BooleanField(required=False)
    severity_mapping = serializers.DictField(child=serializers.CharField(), required=False)
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
    team = TeamScopedPrimaryKeyField(model_name="team", queryset_for_user=_teams_of)
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


class AlertFilter(django_filters.FilterSet):
    integration = django_filters.NumberFilter(field_name="integration_id")
    incident = django_filters.NumberFilter(field_name="incident_id")
    open = django_filters.BooleanFilter(field_name="is_open")
    name = django_filters.CharFilter(field_name="name")
    q = django_filters.CharFilter(method="filter_search", max_length=200)
    label = django_filters.CharFilter(method="filter_label", max_length=300)

    class Meta:
        model = Alert
        fields = ["integration", "incident", "open", "name"]

    def filter_search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(alert_services.alert_search_filter(value))

    def filter_label(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        """``label=severity:critical`` (labels are what runbook matchers read)."""
        key, sep, label_value = value.partition(":")
        if not sep or not key.strip():
            return queryset.none()
        return queryset.filter(**{f"labels__{key.strip()}": label_value.strip()})


# --- views ----------------------------------------------------------------------------


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
