"""On-call models, one module per concern; import them from ``oncall.models``."""

from oncall.models.sso import IdpGroupMapping
from oncall.models.teams import Team, TeamMembership, TeamRole, team_key_validator

__all__ = ["IdpGroupMapping", "Team", "TeamMembership", "TeamRole", "team_key_validator"]
