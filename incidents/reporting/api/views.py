"""``GET /api/v1/metrics/``: the incident metrics of the caller's teams over a period."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from incidents.reporting.scope import metrics_scope_for
from incidents.reporting.selectors import incident_metrics


class MetricsView(APIView):
    """Incident metrics for the caller's teams (or one of them) over a period.

    Incidents count in the period ``[since, until)`` of their ``triggered_at``, and in the
    ISO week (Monday 00:00 UTC) in which they were triggered. MTTA is ``acknowledged_at -
    triggered_at`` over acknowledged incidents, MTTR ``resolved_at - triggered_at`` over
    resolved ones (a reopened incident keeps its first acknowledgement and counts to its
    last resolution); p50 and p90 are continuous percentiles. ``ack_within_target_ratio``
    is the share acknowledged within the severity's current ``ack_target`` among the
    incidents whose outcome is known (acknowledged, or still unacknowledged past the
    target); ``resolve_within_target_ratio`` likewise with ``resolve_target``.
    ``false_positive_rate`` is resolved as false positive / resolved. A figure owned by
    another module (completion rates, pages per engineer) is null, with the reason in
    ``unavailable``, while its provider is not registered."""

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
        scope = metrics_scope_for(
            user=request.user,
            team=request.query_params.get("team"),
            since=request.query_params.get("since"),
            until=request.query_params.get("until"),
            severity=request.query_params.get("severity"),
        )
        return Response(incident_metrics(scope))
