"""The core's API: the severity matrix, the service catalog and incidents (declare with
an optional Idempotency-Key, edit, the status actions, notes, timeline, history). Thin:
input serializers validate, services write, selectors read."""

from django.db import models
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from common.api import UNPAGED_LIST_LIMIT, validated_body
from incidents import selectors, services
from incidents.api.filters import IncidentFilter, ServiceFilter
from incidents.api.serializers import (
    HistoryRecordOutputSerializer,
    IncidentCreateInputSerializer,
    IncidentOutputSerializer,
    IncidentUpdateInputSerializer,
    MessageInputSerializer,
    NoteInputSerializer,
    ResolveInputSerializer,
    ServiceInputSerializer,
    ServiceOutputSerializer,
    ServiceUpdateInputSerializer,
    SeverityOutputSerializer,
    SeverityUpdateInputSerializer,
    StatusInputSerializer,
    TimelineEventOutputSerializer,
)


class SeverityViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The severity matrix (edited by staff in the admin; staff set a severity's urgency
    here too)."""

    serializer_class = SeverityOutputSerializer
    pagination_class = None

    def get_queryset(self):
        return selectors.severity_list()

    @extend_schema(request=SeverityUpdateInputSerializer, responses={200: SeverityOutputSerializer})
    def partial_update(self, request: Request, pk: str) -> Response:
        severity = get_object_or_404(selectors.severity_list(), pk=pk)
        data = validated_body(SeverityUpdateInputSerializer, request)
        services.severity_update(actor=request.user, severity=severity, **data)
        return Response(SeverityOutputSerializer(severity).data)


class ServiceViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The service catalog of the caller's teams."""

    serializer_class = ServiceOutputSerializer
    filterset_class = ServiceFilter

    def get_queryset(self):
        return selectors.service_list(user=self.request.user)

    def retrieve(self, request: Request, pk: str) -> Response:
        service = selectors.service_get(user=request.user, service_id=pk)
        return Response(ServiceOutputSerializer(service).data)

    @extend_schema(request=ServiceInputSerializer, responses={201: ServiceOutputSerializer})
    def create(self, request: Request) -> Response:
        data = ServiceInputSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        service = services.service_create(actor=request.user, **data.validated_data)
        return Response(ServiceOutputSerializer(service).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ServiceUpdateInputSerializer, responses={200: ServiceOutputSerializer})
    def partial_update(self, request: Request, pk: str) -> Response:
        service = selectors.service_get(user=request.user, service_id=pk)
        data = ServiceUpdateInputSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        service = services.service_update(
            actor=request.user, service=service, **data.validated_data
        )
        return Response(ServiceOutputSerializer(service).data)


class IncidentViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Incidents of the caller's teams. Status changes go through the actions."""

    serializer_class = IncidentOutputSerializer
    filterset_class = IncidentFilter

    def get_queryset(self):
        return selectors.incident_list(user=self.request.user)

    def _get(self, pk: str):
        return selectors.incident_get(user=self.request.user, incident_id=pk)

    def _respond(self, incident, code: int = status.HTTP_200_OK) -> Response:
        # Re-read through the selector so the response shows committed state with the
        # same shape as list and retrieve.
        fresh = self._get(incident.pk)
        return Response(IncidentOutputSerializer(fresh).data, status=code)

    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(IncidentOutputSerializer(self._get(pk)).data)

    @extend_schema(
        request=IncidentCreateInputSerializer,
        responses={201: IncidentOutputSerializer},
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                str,
                OpenApiParameter.HEADER,
                required=False,
                description="Same key from the same user within 24 h returns the first "
                "incident instead of creating another.",
            )
        ],
    )
    def create(self, request: Request) -> Response:
        data = IncidentCreateInputSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        key = request.headers.get("Idempotency-Key")
        if key is None:
            incident = services.incident_create(actor=request.user, source="api", **fields)
            return self._respond(incident, status.HTTP_201_CREATED)
        request_hash = services.idempotency_request_hash(
            {
                k: (
                    v.pk
                    if isinstance(v, models.Model)
                    else [i.pk for i in v]
                    if isinstance(v, list)
                    else v
                )
                for k, v in fields.items()
            }
        )
        incident, replayed = services.incident_create_idempotent(
            actor=request.user,
            idempotency_key=key,
            request_hash=request_hash,
            source="api",
            **fields,
        )
        response = self._respond(incident, status.HTTP_201_CREATED)
        if replayed:
            response["Idempotent-Replayed"] = "true"
        return response

    @extend_schema(request=IncidentUpdateInputSerializer, responses={200: IncidentOutputSerializer})
    def partial_update(self, request: Request, pk: str) -> Response:
        incident = self._get(pk)
        data = IncidentUpdateInputSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        services.incident_update(incident=incident, actor=request.user, **data.validated_data)
        return self._respond(incident)

    def _act(self, request: Request, pk: str, input_serializer, service, **fixed) -> Response:
        """Run one lifecycle action: validate the body, call the service, answer with the
        incident as it now is."""
        incident = self._get(pk)
        data = input_serializer(data=request.data)
        data.is_valid(raise_exception=True)
        service(incident=incident, actor=request.user, **fixed, **data.validated_data)
        return self._respond(incident)

    @extend_schema(request=MessageInputSerializer, responses={200: IncidentOutputSerializer})
    @action(detail=True, methods=["post"])
    def acknowledge(self, request: Request, pk: str) -> Response:
        return self._act(request, pk, MessageInputSerializer, services.incident_acknowledge)

    @extend_schema(request=StatusInputSerializer, responses={200: IncidentOutputSerializer})
    @action(detail=True, methods=["post"], url_path="status")
    def set_status(self, request: Request, pk: str) -> Response:
        return self._act(request, pk, StatusInputSerializer, services.incident_set_status)

    @extend_schema(request=ResolveInputSerializer, responses={200: IncidentOutputSerializer})
    @action(detail=True, methods=["post"])
    def resolve(self, request: Request, pk: str) -> Response:
        return self._act(request, pk, ResolveInputSerializer, services.incident_resolve)

    @extend_schema(request=MessageInputSerializer, responses={200: IncidentOutputSerializer})
    @action(detail=True, methods=["post"])
    def reopen(self, request: Request, pk: str) -> Response:
        return self._act(request, pk, MessageInputSerializer, services.incident_reopen)

    @extend_schema(methods=["GET"], responses={200: TimelineEventOutputSerializer(many=True)})
    @extend_schema(
        methods=["POST"],
        request=NoteInputSerializer,
        responses={201: TimelineEventOutputSerializer},
    )
    @action(detail=True, methods=["get", "post"], filterset_class=None)
    def timeline(self, request: Request, pk: str) -> Response:
        incident = self._get(pk)
        if request.method == "POST":
            data = NoteInputSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            event = services.incident_add_note(
                incident=incident, actor=request.user, message=data.validated_data["message"]
            )
            return Response(
                TimelineEventOutputSerializer(event).data, status=status.HTTP_201_CREATED
            )
        events = selectors.incident_timeline(incident=incident)
        page = self.paginate_queryset(events)
        return self.get_paginated_response(TimelineEventOutputSerializer(page, many=True).data)

    @extend_schema(responses={200: HistoryRecordOutputSerializer(many=True)})
    @action(detail=True, methods=["get"], filterset_class=None, pagination_class=None)
    def history(self, request: Request, pk: str) -> Response:
        incident = self._get(pk)
        records = selectors.incident_history(incident=incident)[:UNPAGED_LIST_LIMIT]
        return Response(HistoryRecordOutputSerializer(records, many=True).data)
