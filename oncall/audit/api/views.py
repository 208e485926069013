"""The audit log API: ``GET /api/v1/audit-events/`` (paginated, filtered) and the same
rows as CSV with ``?format=csv`` (every row that matches, not one page). Read-only: there
is no way to change or delete a row through the API."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.renderers import BaseRenderer, JSONRenderer

from oncall.audit.export import audit_csv_response
from oncall.audit.filters import audit_filters_from
from oncall.audit.models import AuditAction, AuditEvent
from oncall.audit.selectors import audit_event_list


class AuditEventOutputSerializer(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor_label")
    actor_id = serializers.IntegerField(allow_null=True)
    team = serializers.IntegerField(source="team_id", allow_null=True)

    class Meta:
        model = AuditEvent
        fields = [
            "id",
            "at",
            "actor",
            "actor_id",
            "action",
            "team",
            "target_type",
            "target_id",
            "target_label",
            "source_address",
            "user_agent",
            "details",
        ]
        read_only_fields = fields


class CSVRenderer(BaseRenderer):
    """Selects ``?format=csv``; the view streams the CSV itself."""

    media_type = "text/csv"
    format = "csv"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data


FILTERS = [
    OpenApiParameter("action", str, enum=AuditAction.values),
    OpenApiParameter("team", int),
    OpenApiParameter("actor", str, description="Username (exact, any case)."),
    OpenApiParameter("address", str, description="Source IP address."),
    OpenApiParameter("since", OpenApiTypes.DATETIME, description="Date or ISO 8601 datetime."),
    OpenApiParameter("until", OpenApiTypes.DATETIME, description="Date (included) or datetime."),
    OpenApiParameter("format", str, enum=["json", "csv"]),
]


class AuditEventListView(ListAPIView):
    """Staff read every row; a team's managers the rows of their teams; others get 403."""

    serializer_class = AuditEventOutputSerializer
    renderer_classes = [JSONRenderer, CSVRenderer]
    filter_backends: list = []

    def get_queryset(self):
        return audit_event_list(
            viewer=self.request.user, filters=audit_filters_from(self.request.query_params)
        )

    @extend_schema(parameters=FILTERS)
    def get(self, request, *args, **kwargs):
        if request.accepted_renderer.format == "csv":
            return audit_csv_response(self.get_queryset(), filename="audit-events.csv")
        return super().get(request, *args, **kwargs)

    def finalize_response(self, request, response, *args, **kwargs):
        # A refusal (403, a bad filter) is the usual JSON body even when CSV was asked for.
        if getattr(response, "status_code", 200) >= 400 and hasattr(response, "data"):
            request.accepted_renderer = JSONRenderer()
            request.accepted_media_type = JSONRenderer.media_type
        return super().finalize_response(request, response, *args, **kwargs)
