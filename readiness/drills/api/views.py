"""The drill API: list and schedule, one drill's report (JSON, or Markdown with
``Accept: text/markdown``), cancel, and a finding made an action item. Thin: reads
through the selectors, writes through the services."""

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, renderers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from postmortems.api.serializers import ActionItemOutputSerializer
from postmortems.api.views import MarkdownRenderer
from readiness.drills import markdown, selectors, services
from readiness.drills.api.serializers import (
    DrillCreatedOutputSerializer,
    DrillOutputSerializer,
    DrillReportOutputSerializer,
    DrillScheduleInputSerializer,
    FindingPromoteInputSerializer,
)


class DrillViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Drills (game days) of the caller's teams. Scheduling and cancelling: team
    managers and staff."""

    serializer_class = DrillOutputSerializer

    def get_queryset(self):
        return selectors.drill_list(
            user=self.request.user, team_id=self.request.query_params.get("team")
        )

    def _get(self, pk):
        return selectors.drill_get(user=self.request.user, drill_id=pk)

    @extend_schema(
        parameters=[OpenApiParameter("team", int, description="Only this team's drills.")]
    )
    def list(self, request: Request, *args, **kwargs) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(
        request=DrillScheduleInputSerializer, responses={201: DrillCreatedOutputSerializer}
    )
    def create(self, request: Request) -> Response:
        data = DrillScheduleInputSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        drill = services.drill_schedule(actor=request.user, **data.validated_data)
        return Response(
            DrillCreatedOutputSerializer(self._get(drill.pk)).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(responses={200: DrillReportOutputSerializer})
    def retrieve(self, request: Request, pk: str) -> Response:
        report = selectors.drill_report(drill=self._get(pk))
        return Response(DrillReportOutputSerializer(report).data)

    @extend_schema(request=None, responses={200: DrillOutputSerializer})
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str) -> Response:
        drill = services.drill_cancel(actor=request.user, drill=self._get(pk))
        return Response(DrillOutputSerializer(self._get(drill.pk)).data)

    @extend_schema(responses={(200, "text/markdown"): OpenApiTypes.STR})
    @action(
        detail=True,
        methods=["get"],
        renderer_classes=[renderers.JSONRenderer, MarkdownRenderer],
    )
    def markdown(self, request: Request, pk: str) -> HttpResponse:
        drill = self._get(pk)
        response = HttpResponse(
            markdown.drill_report_markdown(selectors.drill_report(drill=drill)),
            content_type="text/markdown; charset=utf-8",
        )
        response["Content-Disposition"] = f'inline; filename="drill-{drill.pk}.md"'
        return response

    @extend_schema(
        request=FindingPromoteInputSerializer, responses={201: ActionItemOutputSerializer}
    )
    @action(
        detail=True,
        methods=["post"],
        url_path=r"findings/(?P<finding_id>[0-9]+)/action-item",
    )
    def finding_action_item(self, request: Request, pk: str, finding_id: str) -> Response:
        drill = self._get(pk)
        finding = selectors.drill_finding_get(drill=drill, finding_id=finding_id)
        data = FindingPromoteInputSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        item = services.drill_finding_promote(
            actor=request.user, finding=finding, **data.validated_data
        )
        return Response(
            ActionItemOutputSerializer(item, context={"request": request}).data,
            status=status.HTTP_201_CREATED,
        )
