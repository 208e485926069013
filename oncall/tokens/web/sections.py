"""A line on the team's page linking its managers to the team's API tokens."""

from oncall.teams.selectors import team_is_manager
from oncall.teams.web.sections import register_section
from oncall.tokens.models import ApiToken


def _context(request, team) -> dict:
    if not team_is_manager(user=request.user, team=team):
        return {}
    active = ApiToken.objects.filter(team=team, revoked_at__isnull=True).count()
    return {"team": team, "active": active}


register_section(
    page="team_detail", name="api_tokens", template="tokens/_team_section.html", context=_context
)
