"""API for incident communication: an incident's status updates, its status-page
settings and its Slack channel (sub-routes of an incident that live in this room, not on
the core's IncidentViewSet; see ``api/urls.py``), and the public status page as JSON."""

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.errors import NotFound
from incidents import selectors
from incidents.communication.api.serializers import (
    IncidentChannelOutputSerializer,
    IncidentCommunicationInputSerializer,
    IncidentCommunicationOutputSerializer,
    StatusPageSerializer,
    StatusUpdateInputSerializer,
    StatusUpdateOutputSerializer,
)
from incidents.communication.models import IncidentChannel, IncidentCommunication, StatusUpdate
from incidents.communication.selectors import status_page
from incidents.communication.services import incident_communication_set, status_update_post


class IncidentUpdatesView(GenericAPIView):
    """Status updates of an incident (internal and public), newest first; POST one."""

    serializer_class = StatusUpdateOutputSerializer

    def get_queryset(self):
        return StatusUpdate.objects.none()

    @extend_schema(responses={200: StatusUpdateOutputSerializer(many=True)})
    def get(self, request: Request, pk: int) -> Response:
        incident = selectors.incident_get(user=request.user, incident_id=pk)
        updates = incident.updates.select_related("author").order_by("-created_at", "-id")
        page = self.paginate_queryset(updates)
        return self.get_paginated_response(StatusUpdateOutputSerializer(page, many=True).data)

    @extend_schema(
        request=StatusUpdateInputSerializer, responses={201: StatusUpdateOutputSerializer}
    )
    def post(self, request: Request, pk: int) -> Response:
        incident = selectors.incident_get(user=request.user, incident_id=pk)
        data = StatusUpdateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        update = status_update_post(incident=incident, actor=request.user, **data.validated_data)
        return Response(StatusUpdateOutputSerializer(update).data, status=status.HTTP_201_CREATED)


class IncidentStatusPageView(APIView):
    """How the status page shows an incident: state override, public title, customer
    impact (used by escalation notice rules)."""

    @extend_schema(responses={200: IncidentCommunicationOutputSerializer})
    def get(self, request: Request, pk: int) -> Response:
        incident = selectors.incident_get(user=request.user, incident_id=pk)
        comm = IncidentCommunication.objects.filter(incident=incident).first()
        return Response(IncidentCommunicationOutputSerializer(comm or IncidentCommunication()).data)

    @extend_schema(
        request=IncidentCommunicationInputSerializer,
        responses={200: IncidentCommunicationOutputSerializer},
    )
    def patch(self, request: Request, pk: int) -> Response:
        incident = selectors.incident_get(user=request.user, incident_id=pk)
        data = IncidentCommunicationInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        comm = incident_communication_set(
            incident=incident, actor=request.user, **data.validated_data
        )
        return Response(IncidentCommunicationOutputSerializer(comm).data)


class IncidentChannelView(APIView):
    @extend_schema(responses={200: IncidentChannelOutputSerializer})
    def get(self, request: Request, pk: int) -> Response:
        incident = selectors.incident_get(user=request.user, incident_id=pk)
        channel = IncidentChannel.objects.filter(incident=incident).first()
        if channel is None:
            raise NotFound("This incident has no Slack channel.")
        return Response(IncidentChannelOutputSerializer(channel).data)


class StatusPageView(APIView):
    """The public status page as JSON. No authentication; nothing private."""

    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(responses={200: StatusPageSerializer})
    def get(self, request: Request) -> Response:
        return Response(StatusPageSerializer(status_page()).data)
