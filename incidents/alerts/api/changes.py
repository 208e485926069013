"""Change events (``GET /api/v1/change-events/``): what was deployed or reconfigured,
as sent to ``POST /v2/change/enqueue``, for the caller's teams, newest first; narrowed to
one incident's context (``?incident=<id>``: its services' changes from four hours before
it was declared until now) or to a service (``?service=<id>``)."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets

from incidents.alerts.models import ChangeEvent
from incidents.alerts.services.changes import change_event_filter, change_event_list


class ChangeEventOutputSerializer(serializers.ModelSerializer):
    service_name = serializers.CharField(source="service.name", allow_null=True, read_only=True)
    integration_name = serializers.CharField(source="integration.name", read_only=True)

    class Meta:
        model = ChangeEvent
        fields = [
            "id",
            "integration",
            "integration_name",
            "service",
            "service_name",
            "summary",
            "source",
            "timestamp",
            "links",
            "custom_details",
            "received_at",
        ]
        read_only_fields = fields


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("incident", OpenApiTypes.INT, description="An incident's changes."),
            OpenApiParameter("service", OpenApiTypes.INT, description="A service's changes."),
        ]
    )
)
class ChangeEventViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = ChangeEventOutputSerializer

    def get_queryset(self):
        user = self.request.user
        return change_event_filter(
            change_event_list(user=user),
            user=user,
            incident=self.request.query_params.get("incident"),
            service=self.request.query_params.get("service"),
        )
