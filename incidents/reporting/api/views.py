from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from incidents.reporting import selectors as metrics


class MetricsView(APIView):
    """Incident metrics for the caller's teams (or one of them) over a period.

    See docs/issue-7-web.md for the definition of every figure."""

    @extend_schema(
        parameters=[
            OpenApiParameter("team", str, description="Team id or slug (default: all my teams)"),
            OpenApiParameter("since", str, description="ISO date/date-time, inclusive"),
            OpenApiParameter("until", str, description="ISO date/date-time, exclusive"),
            OpenApiParameter("severity", str, description='Severity name, e.g. "SEV1"'),
        ],
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request: Request) -> Response:
        scope = metrics.metrics_scope_for(
            user=request.user,
            team=request.query_params.get("team"),
            since=request.query_params.get("since"),
            until=request.query_params.get("until"),
            severity=request.query_params.get("severity"),
        )
        return Response(metrics.incident_metrics(scope))
