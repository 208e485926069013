from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.api import UNPAGED_LIST_LIMIT
from common.errors import InvalidInput, NotFound
from incidents.selectors import incident_get
from oncall.teams.selectors import team_get
from runbooks import selectors, services
from runbooks.api.filters import RunbookFilter
from runbooks.api.serializers import (
    AccuracyInputSerializer,
    AttachmentOutputSerializer,
    DiffOutputSerializer,
    RunbookInputSerializer,
    RunbookListOutputSerializer,
    RunbookOutputSerializer,
    RunbookUpdateInputSerializer,
    TestedInputSerializer,
    VersionOutputSerializer,
)
from runbooks.models import RunbookAttachment


class RunbookViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Runbooks of the caller's teams (filter by team, service, stale)."""

    serializer_class = RunbookListOutputSerializer
    filterset_class = RunbookFilter

    def get_queryset(self):
        return selectors.runbook_list(user=self.request.user)

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "now": timezone.now()}

    def _out(self, runbook, code=status.HTTP_200_OK) -> Response:
        fresh = selectors.runbook_get(user=self.request.user, runbook_id=runbook.pk)
        return Response(
            RunbookOutputSerializer(fresh, context=self.get_serializer_context()).data, status=code
        )

    @extend_schema(responses={200: RunbookOutputSerializer})
    def retrieve(self, request: Request, pk: str) -> Response:
        return self._out(selectors.runbook_get(user=request.user, runbook_id=pk))

    @extend_schema(request=RunbookInputSerializer, responses={201: RunbookOutputSerializer})
    def create(self, request: Request) -> Response:
        data = RunbookInputSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        runbook = services.runbook_create(actor=request.user, **data.validated_data)
        return self._out(runbook, status.HTTP_201_CREATED)

    @extend_schema(request=RunbookUpdateInputSerializer, responses={200: RunbookOutputSerializer})
    def partial_update(self, request: Request, pk: str) -> Response:
        runbook = selectors.runbook_get(user=request.user, runbook_id=pk)
        data = RunbookUpdateInputSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        services.runbook_update(runbook=runbook, actor=request.user, **data.validated_data)
        return self._out(runbook)

    @extend_schema(request=TestedInputSerializer, responses={200: RunbookOutputSerializer})
    @action(detail=True, methods=["post"])
    def tested(self, request: Request, pk: str) -> Response:
        runbook = selectors.runbook_get(user=request.user, runbook_id=pk)
        data = TestedInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.runbook_mark_tested(
            runbook=runbook, actor=request.user, tested_at=data.validated_data["tested_at"]
        )
        return self._out(runbook)

    @extend_schema(responses={200: VersionOutputSerializer(many=True)})
    @action(detail=True, methods=["get"], filterset_class=None, pagination_class=None)
    def versions(self, request: Request, pk: str) -> Response:
        runbook = selectors.runbook_get(user=request.user, runbook_id=pk)
        return Response(
            VersionOutputSerializer(
                selectors.runbook_versions(runbook=runbook)[:UNPAGED_LIST_LIMIT], many=True
            ).data
        )

    @extend_schema(
        parameters=[
            OpenApiParameter("from", OpenApiTypes.INT, required=True),
            OpenApiParameter("to", OpenApiTypes.INT, required=True),
        ],
        responses={200: DiffOutputSerializer},
    )
    @action(detail=True, methods=["get"], filterset_class=None, pagination_class=None)
    def diff(self, request: Request, pk: str) -> Response:
        runbook = selectors.runbook_get(user=request.user, runbook_id=pk)
        diff = selectors.runbook_diff(
            runbook=runbook,
            from_version=request.query_params.get("from"),
            to_version=request.query_params.get("to"),
        )
        return Response(DiffOutputSerializer(diff).data)

    @extend_schema(
        parameters=[OpenApiParameter("team", OpenApiTypes.INT, required=True)],
        responses={200: OpenApiTypes.OBJECT},
    )
    @action(detail=False, methods=["get"], filterset_class=None, pagination_class=None)
    def coverage(self, request: Request) -> Response:
        raw = request.query_params.get("team")
        if not raw:
            raise InvalidInput("Give ?team=<id>.", errors={"team": ["This parameter is required."]})
        team = team_get(user=request.user, team_id=raw)
        return Response(selectors.runbook_coverage(team=team))


class IncidentRunbooksView(APIView):
    """The runbooks attached to an incident, best match first."""

    @extend_schema(responses={200: AttachmentOutputSerializer(many=True)})
    def get(self, request: Request, pk: int) -> Response:
        incident = incident_get(user=request.user, incident_id=pk)
        attachments = selectors.incident_runbook_list(incident=incident)
        return Response(AttachmentOutputSerializer(attachments, many=True).data)


class IncidentRunbookAccuracyView(APIView):
    """Answer "was this runbook accurate?" for one attachment."""

    @extend_schema(request=AccuracyInputSerializer, responses={200: AttachmentOutputSerializer})
    def post(self, request: Request, pk: int, attachment_id: int) -> Response:
        incident = incident_get(user=request.user, incident_id=pk)
        attachment = RunbookAttachment.objects.filter(incident=incident, pk=attachment_id).first()
        if attachment is None:
            raise NotFound("This runbook is not attached to the incident.")
        data = AccuracyInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.runbook_accuracy_answer(
            attachment=attachment,
            actor=request.user,
            accurate=data.validated_data["accurate"],
            comment=data.validated_data["comment"],
        )
        fresh = selectors.incident_runbook_list(incident=incident).get(pk=attachment.pk)
        return Response(AttachmentOutputSerializer(fresh).data)
