"""The schedules API: schedules of the caller's teams with their layers, who is on call,
shifts and gaps, overrides, and the schedule's iCal feed. Views parse, call a service or
selector, and render; another team's schedule is a 404."""

from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from common.api import Pagination, query_instant, validated_body
from common.errors import InvalidInput
from oncall.schedules import selectors, services
from oncall.schedules.api.serializers import (
    GapOutputSerializer,
    OverrideInputSerializer,
    OverrideOutputSerializer,
    ScheduleDetailOutputSerializer,
    ScheduleInputSerializer,
    ScheduleOutputSerializer,
    ScheduleUpdateInputSerializer,
    ShiftOutputSerializer,
)
from oncall.schedules.feeds import schedule_feed_body
from oncall.schedules.models import Schedule
from oncall.teams.selectors import team_get

MAX_SHIFT_WINDOW = timedelta(days=93)


def _user_ref(user_id, users) -> dict | None:
    user = users.get(user_id)
    return None if user is None else {"id": user.pk, "username": user.get_username()}


def _layer_specs(layers):
    return [dict(layer) for layer in layers]


class ScheduleViewSet(viewsets.GenericViewSet):
    """On-call schedules of the caller's teams. Managers edit; members add overrides."""

    pagination_class = Pagination
    serializer_class = ScheduleOutputSerializer
    queryset = Schedule.objects.none()
    filter_backends: list = []

    def _get(self, pk):
        return selectors.schedule_get(user=self.request.user, schedule_id=pk)

    def _render(self, schedules, many=False):
        uncontactable = selectors.schedules_users_without_contact(
            schedules if many else [schedules]
        )
        return ScheduleOutputSerializer(
            schedules, many=many, context={"uncontactable": uncontactable}
        ).data

    @extend_schema(
        parameters=[OpenApiParameter("team", int, required=False)],
        responses={200: ScheduleOutputSerializer(many=True)},
    )
    def list(self, request: Request) -> Response:
        schedules = self.paginate_queryset(
            selectors.schedule_list(user=request.user, team_id=request.query_params.get("team"))
        )
        return self.get_paginated_response(self._render(list(schedules), many=True))

    @extend_schema(responses={200: ScheduleDetailOutputSerializer})
    def retrieve(self, request: Request, pk=None) -> Response:
        schedule = self._get(pk)
        data = self._render(schedule)
        data["gaps"] = GapOutputSerializer(
            [{"start": a, "end": b} for a, b in selectors.schedule_gaps(schedule=schedule)],
            many=True,
        ).data
        return Response(data)

    @extend_schema(request=ScheduleInputSerializer, responses={201: ScheduleOutputSerializer})
    def create(self, request: Request) -> Response:
        data = validated_body(ScheduleInputSerializer, request)
        team = team_get(user=request.user, team_id=data.pop("team"))
        schedule = services.schedule_create(
            actor=request.user, team=team, **{**data, "layers": _layer_specs(data["layers"])}
        )
        return Response(self._render(self._get(schedule.pk)), status=status.HTTP_201_CREATED)

    @extend_schema(request=ScheduleUpdateInputSerializer, responses={200: ScheduleOutputSerializer})
    def partial_update(self, request: Request, pk=None) -> Response:
        schedule = self._get(pk)
        data = validated_body(ScheduleUpdateInputSerializer, request)
        if "layers" in data:
            data["layers"] = _layer_specs(data["layers"])
        services.schedule_update(actor=request.user, schedule=schedule, **data)
        return Response(self._render(self._get(pk)))

    @extend_schema(responses={204: None})
    def destroy(self, request: Request, pk=None) -> Response:
        services.schedule_delete(actor=request.user, schedule=self._get(pk))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        parameters=[OpenApiParameter("at", datetime, required=False)],
        responses={200: OpenApiTypes.OBJECT},
    )
    @action(detail=True, methods=["get"])
    def oncall(self, request: Request, pk=None) -> Response:
        schedule = self._get(pk)
        at = query_instant(request, "at", default=timezone.now())
        user_id = selectors.schedule_oncall_user_id(schedule=schedule, at=at)
        users = selectors.users_by_id({user_id} if user_id else set())
        return Response({"at": at.isoformat(), "user": _user_ref(user_id, users)})

    @extend_schema(
        parameters=[OpenApiParameter("start", datetime), OpenApiParameter("end", datetime)],
        responses={200: ShiftOutputSerializer(many=True)},
    )
    # A bare array, as answered: no pagination (the window is bounded instead).
    @action(detail=True, methods=["get"], pagination_class=None)
    def shifts(self, request: Request, pk=None) -> Response:
        schedule = self._get(pk)
        start, end = query_instant(request, "start"), query_instant(request, "end")
        if end <= start:
            raise InvalidInput("end must be after start.", errors={"end": ["Must be after start."]})
        if end - start > MAX_SHIFT_WINDOW:
            raise InvalidInput(
                "The window is at most 93 days.", errors={"end": ["At most 93 days after start."]}
            )
        shifts = selectors.schedule_shifts(schedule=schedule, start=start, end=end)
        users = selectors.users_by_id({shift.user for shift in shifts})
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

    @extend_schema(methods=["GET"], responses={200: OverrideOutputSerializer(many=True)})
    @extend_schema(
        methods=["POST"],
        request=OverrideInputSerializer,
        responses={201: OverrideOutputSerializer},
    )
    @action(detail=True, methods=["get", "post"], pagination_class=None)
    def overrides(self, request: Request, pk=None) -> Response:
        schedule = self._get(pk)
        if request.method == "GET":
            overrides = selectors.override_list(schedule=schedule)
            return Response(OverrideOutputSerializer(overrides, many=True).data)
        data = validated_body(OverrideInputSerializer, request)
        user = get_user_model().objects.filter(pk=data["user"]).first()
        if user is None:
            raise InvalidInput("No such user.", errors={"user": ["No such user."]})
        override = services.override_create(
            actor=request.user, schedule=schedule, user=user, start=data["start"], end=data["end"]
        )
        return Response(OverrideOutputSerializer(override).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={204: None})
    @action(detail=True, methods=["delete"], url_path=r"overrides/(?P<override_id>\d+)")
    def delete_override(self, request: Request, pk=None, override_id=None) -> Response:
        schedule = self._get(pk)
        override = selectors.override_get(schedule=schedule, override_id=override_id)
        services.override_delete(actor=request.user, override=override)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(responses={(200, "text/calendar"): bytes})
    @action(detail=True, methods=["get"])
    def ical(self, request: Request, pk=None) -> HttpResponse:
        return HttpResponse(
            schedule_feed_body(self._get(pk)), content_type="text/calendar; charset=utf-8"
        )

    @extend_schema(request=None, responses={200: ScheduleOutputSerializer})
    @action(detail=True, methods=["post"], url_path="rotate-ical-url")
    def rotate_ical_url(self, request: Request, pk=None) -> Response:
        services.schedule_rotate_ical_token(actor=request.user, schedule=self._get(pk))
        return Response(self._render(self._get(pk)))
