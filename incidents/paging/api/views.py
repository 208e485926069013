"""Paging endpoints: an incident's pages, and the on-call load report."""

from datetime import timedelta

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.errors import InvalidInput
from incidents import selectors
from incidents.paging import selectors as paging_selectors
from incidents.paging.models import Page
from oncall.schedules.api.views import _instant
from oncall.teams import selectors as oncall_selectors
from oncall.teams.api.serializers import UserRefSerializer

MAX_LOAD_WINDOW = timedelta(days=366)


class PageOutputSerializer(serializers.ModelSerializer):
    user = UserRefSerializer(read_only=True)

    class Meta:
        model = Page
        fields = [
            "id",
            "user",
            "level",
            "loop",
            "run",
            "reason",
            "channel",
            "status",
            "attempts",
            "error",
            "bundle_size",
            "created_at",
            "not_before",
            "sent_at",
        ]


class IncidentPagesView(APIView):
    @extend_schema(responses={200: PageOutputSerializer(many=True)})
    def get(self, request: Request, pk: str) -> Response:
        incident = selectors.incident_get(user=request.user, incident_id=pk)
        pages = paging_selectors.incident_pages(incident=incident)
        return Response(PageOutputSerializer(pages, many=True).data)


class OnCallLoadView(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter("team", int),
            OpenApiParameter("since", str, required=False),
            OpenApiParameter("until", str, required=False),
        ],
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request: Request) -> Response:
        team_id = request.query_params.get("team")
        if not team_id:
            raise InvalidInput(
                "team is required.", errors={"team": ["This parameter is required."]}
            )
        team = oncall_selectors.team_get(user=request.user, team_id=team_id)
        until = _instant(request, "until", default=timezone.now())
        since = _instant(request, "since", default=until - timedelta(days=28))
        if until <= since or until - since > MAX_LOAD_WINDOW:
            raise InvalidInput(
                "since must be before until, at most a year apart.",
                errors={"since": ["Must be before until, at most 366 days earlier."]},
            )
        report = paging_selectors.oncall_load(team=team, since=since, until=until)
        return Response(
            {
                "team": team.pk,
                "since": since.isoformat(),
                "until": until.isoformat(),
                "target_pages_per_week": paging_selectors.PAGE_TARGET_PER_WEEK,
                "users": report,
            }
        )
