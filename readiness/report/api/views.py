"""The readiness report of a team, for any of its members (staff: any team)."""

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from oncall.teams.selectors import team_get
from readiness.report.api.serializers import ReadinessReportOutputSerializer
from readiness.report.checks import readiness_report


class TeamReadinessView(APIView):
    @extend_schema(
        summary="The team's readiness report",
        description=(
            "What would go wrong if an incident started now: schedule gaps in the next 14 "
            "days, people on a rota without a verified high-urgency contact method, "
            "escalation policies ending with nobody who can be paged, services without an "
            "escalation policy, a runbook or a drill in the last 91 days, runbooks untested "
            "for more than 90 days and engineers above 10 pages a week. Each finding links "
            "to the page where it is fixed. 404 for a team the caller is not in."
        ),
        responses={200: ReadinessReportOutputSerializer},
    )
    def get(self, request: Request, pk: int) -> Response:
        team = team_get(user=request.user, team_id=pk)
        return Response(ReadinessReportOutputSerializer(readiness_report(team=team)).data)
