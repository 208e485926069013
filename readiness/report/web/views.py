"""The readiness pages: a picker of the reader's teams, and one team's report (any member
may read it; another team's is a 404). Reads through ``readiness.report.checks``."""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from common.errors import NotFound
from oncall.teams.selectors import memberships_of, team_get, team_list
from readiness.report.checks import readiness_report


def readiness_page(request: HttpRequest) -> HttpResponse:
    if request.GET.get("team"):
        try:
            team = team_get(user=request.user, team_id=request.GET["team"])
        except NotFound as error:
            raise Http404(error.detail) from None
        return redirect("web:readiness-team", team_id=team.pk)
    roles = {m.team_id: m.role for m in memberships_of(user=request.user)}
    teams = [{"team": team, "role": roles.get(team.pk)} for team in team_list(user=request.user)]
    return render(request, "readiness/picker.html", {"teams": teams})


def readiness_team_page(request: HttpRequest, team_id: int) -> HttpResponse:
    try:
        team = team_get(user=request.user, team_id=team_id)
    except NotFound as error:
        raise Http404(error.detail) from None
    report = readiness_report(team=team)
    return render(
        request,
        "readiness/report.html",
        {
            "team": team,
            "teams": list(team_list(user=request.user)),
            "report": report,
        },
    )
