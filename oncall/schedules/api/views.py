"""Schedules, escalation policies, contact methods. Views parse, call a service or selector,
and render; another team's object is a 404."""

from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.http import HttpResponse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from common.api import Pagination
from common.errors import InvalidInput
from oncall.schedules import selectors as selectors_oncall
from oncall.schedules import services as services_oncall
from oncall.schedules.api import serializers as s
from oncall.schedules.models import Schedule
from oncall.schedules.selectors import (
    schedule_gaps,
    schedule_oncall_user_id,
    schedule_shifts,
    users_by_id,
)
from oncall.teams import selectors

MAX_SHIFT_WINDOW = timedelta(days=93)


def _instant(request: Request, name: str, default: datetime | None = None) -> datetime:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        if default is not None:
            return default
        raise InvalidInput(f"{name} is required.", errors={name: ["This parameter is required."]})
    value = parse_datetime(raw.replace(" ", "+"))
    if value is None:
        raise InvalidInput(
            f"{name} must be an ISO 8601 datetime.", errors={name: ["Not an ISO 8601 datetime."]}
        )
    if timezone.is_naive(value):
        raise InvalidInput(
            f"{name} needs a time zone offset (e.g. Z or +01:00).",
            errors={name: ["Give a time zone offset."]},
        )
    return value


def _user_ref(user_id, users) -> dict | None:
    user = users.get(user_id)
    return None if user is None else {"id": user.pk, "username": user.get_username()}


def _validated(serializer_class, request: Request):
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _layer_specs(layers):
    return [dict(layer) for layer in layers]


class ScheduleViewSet(viewsets.GenericViewSet):
    """On-call schedules of the caller's teams. Managers edit; members add overrides."""

    pagination_class = Pagination
    serializer_class = s.ScheduleOutputSerializer
    queryset = Schedule.objects.none()
    filter_backends: list = []

    def _get(self, pk):
        return selectors_oncall.schedule_get(user=self.request.user, schedule_id=pk)

    def _render(self, schedules, many=False):
        uncontactable = selectors_oncall.schedules_users_without_contact(
            schedules if many else [schedules]
        )
        return s.ScheduleOutputSerializer(
            schedules, many=many, context={"uncontactable": uncontactable}
        ).data

    @extend_schema(
        parameters=[OpenApiParameter("team", int, required=False)],
        responses={200: s.ScheduleOutputSerializer(many=True)},
    )
    def list(self, request: Request) -> Response:
        schedules = self.paginate_queryset(
            selectors_oncall.schedule_list(
                user=request.user, team_id=request.query_params.get("team")
            )
        )
        return self.get_paginated_response(self._render(list(schedules), many=True))

    @extend_schema(responses={200: s.ScheduleOutputSerializer})
    def retrieve(self, request: Request, pk=None) -> Response:
        schedule = self._get(pk)
        data = self._render(schedule)
        data["gaps"] = s.GapOutputSerializer(
            [{"start": a, "end": b} for a, b in schedule_gaps(schedule=schedule)], many=True
        ).data
        return Response(data)

    @extend_schema(request=s.ScheduleInputSerializer, responses={201: s.ScheduleOutputSerializer})
    def create(self, request: Request) -> Response:
        data = _validated(s.ScheduleInputSerializer, request)
        team = selectors.team_get(user=request.user, team_id=data.pop("team"))
        schedule = services_oncall.schedule_create(
            actor=request.user, team=team, **{**data, "layers": _layer_specs(data["layers"])}
        )
        return Response(self._render(self._get(schedule.pk)), status=status.HTTP_201_CREATED)

    @extend_schema(
        request=s.ScheduleUpdateInputSerializer, responses={200: s.ScheduleOutputSerializer}
    )
    def partial_update(self, request: Request, pk=None) -> Response:
        schedule = self._get(pk)
        data = _validated(s.ScheduleUpdateInputSerializer, request)
        if "layers" in data:
            data["layers"] = _layer_specs(data["layers"])
        services_oncall.schedule_update(actor=request.user, schedule=schedule, **data)
        return Response(self._render(self._get(pk)))

    @extend_schema(responses={204: None})
    def destroy(self, request: Request, pk=None) -> Response:
        services_oncall.schedule_delete(actor=request.user, schedule=self._get(pk))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        parameters=[OpenApiParameter("at", datetime, required=False)],
        responses={200: OpenApiTypes.OBJECT},
    )
    @action(detail=True, methods=["get"])
    def oncall(self, request: Request, pk=None) -> Response:
        schedule = self._get(pk)
        at = _instant(request, "at", default=timezone.now())
        user_id = schedule_oncall_user_id(schedule=schedule, at=at)
        users = users_by_id({user_id} if user_id else set())
        return Response({"at": at.isoformat(), "user": _user_ref(user_id, users)})

    @extend_schema(
        parameters=[OpenApiParameter("start", datetime), OpenApiParameter("end", datetime)],
        responses={200: s.ShiftOutputSerializer(many=True)},
    )
    @action(detail=True, methods=["get"])
    def shifts(self, request: Request, pk=None) -> Response:
        schedule = self._get(pk)
        start, end = _instant(request, "start"), _instant(request, "end")
        if end <= start:
            raise InvalidInput("end must be after start.", errors={"end": ["Must be after start."]})
        if end - start > MAX_SHIFT_WINDOW:
            raise InvalidInput(
                "The window is at most 93 days.", errors={"end": ["At most 93 days after start."]}
            )
        shifts = schedule_shifts(schedule=schedule, start=start, end=end)
        users = users_by_id({shift.user for shift in shifts})
        return Response(
            [
                {
                    "user": _user_ref(shift.user, users),
                    "start": shift.start.isoformat().replace("+00:00", "Z"),
                    "end": shift.end.isoformat().replace("+00:00", "Z"),
                }
                for shift in shifts
            ]
        )

    @extend_schema(methods=["GET"], responses={200: s.OverrideOutputSerializer(many=True)})
    @extend_schema(
        methods=["POST"],
        request=s.OverrideInputSerializer,
        responses={201: s.OverrideOutputSerializer},
    )
    @action(detail=True, methods=["get", "post"])
    def overrides(self, request: Request, pk=None) -> Response:
        schedule = self._get(pk)
        if request.method == "GET":
            overrides = selectors_oncall.override_list(schedule=schedule)
            return Response(s.OverrideOutputSerializer(overrides, many=True).data)
        data = _validated(s.OverrideInputSerializer, request)
        user = get_user_model().objects.filter(pk=data["user"]).first()
        if user is None:
            raise InvalidInput("No such user.", errors={"user": ["No such user."]})
        override = services_oncall.override_create(
            actor=request.user, schedule=schedule, user=user, start=data["start"], end=data["end"]
        )
        return Response(s.OverrideOutputSerializer(override).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={204: None})
    @action(detail=True, methods=["delete"], url_path=r"overrides/(?P<override_id>\d+)")
    def delete_override(self, request: Request, pk=None, override_id=None) -> Response:
        schedule = self._get(pk)
        override = selectors_oncall.override_get(schedule=schedule, override_id=override_id)
        services_oncall.override_delete(actor=request.user, override=override)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(responses={(200, "text/calendar"): bytes})
    @action(detail=True, methods=["get"])
    def ical(self, request: Request, pk=None) -> HttpResponse:
        from oncall.schedules.feeds import schedule_feed_body

        return HttpResponse(
            schedule_feed_body(self._get(pk)), content_type="text/calendar; charset=utf-8"
        )

    @extend_schema(request=None, responses={200: s.ScheduleOutputSerializer})
    @action(detail=True, methods=["post"], url_path="rotate-ical-url")
    def rotate_ical_url(self, request: Request, pk=None) -> Response:
        services_oncall.schedule_rotate_ical_token(actor=request.user, schedule=self._get(pk))
        return Response(self._render(self._get(pk)))
