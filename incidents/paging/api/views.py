"""Paging endpoints: an incident's pages, and the on-call load report of a team."""

from datetime import timedelta

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.api import UNPAGED_LIST_LIMIT, query_instant
from common.errors import InvalidInput
from incidents.paging.api.serializers import PageOutputSerializer
from incidents.paging.selectors import PAGE_TARGET_PER_WEEK, incident_pages, oncall_load
from incidents.selectors import incident_get
from oncall.teams.selectors import team_get

MAX_LOAD_WINDOW = timedelta(days=366)


class IncidentPagesView(APIView):
    @extend_schema(responses={200: PageOutputSerializer(many=True)})
    def get(self, request: Request, pk: str) -> Response:
        incident = incident_get(user=request.user, incident_id=pk)
        pages = incident_pages(incident=incident)[:UNPAGED_LIST_LIMIT]
        return Response(PageOutputSerializer(pages, many=True).data)


class OnCallLoadView(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter("team", int, required=True),
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
        team = team_get(user=request.user, team_id=team_id)
        until = query_instant(request, "until", default=timezone.now())
        since = query_instant(request, "since", default=until - timedelta(days=28))
        if until <= since or until - since > MAX_LOAD_WINDOW:
            raise InvalidInput(
                "since must be before until, at most a year apart.",
                errors={"since": ["Must be before until, at most 366 days earlier."]},
            )
        report = oncall_load(team=team, since=since, until=until)
        return Response(
            {
                "team": team.pk,
                "since": since.isoformat(),
                "until": until.isoformat(),
                "target_pages_per_week": PAGE_TARGET_PER_WEEK,
                "users": report,
            }
        )
