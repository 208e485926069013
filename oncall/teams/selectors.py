"""Reads for teams, scoped to what the user may see."""

from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.models import User as AuthUser
from django.db.models import QuerySet

from common.errors import NotFound
from oncall.teams.models import Team, TeamMembership, TeamRole

User = AuthUser | AnonymousUser


def team_ids_for_user(*, user: User) -> list[int] | None:
    """The ids of the teams a user belongs to; None means "every team" (staff)."""
    if not user.is_authenticated:
        return []
    if user.is_staff:
        return None
    return list(TeamMembership.objects.filter(user=user).values_list("team_id", flat=True))


def team_scoped(qs: QuerySet, *, user: User, team_field: str = "team") -> QuerySet:
    """``qs`` narrowed to the rows of the user's teams (``team_field`` leads from a row
    to its team): everything for staff, nothing for anonymous callers. Every app's
    selectors scope through here."""
    if not user.is_authenticated:
        return qs.none()
    if user.is_staff:
        return qs
    return qs.filter(**{f"{team_field}__memberships__user": user})


def team_list(*, user: User) -> QuerySet[Team]:
    teams = Team.objects.all()
    if not user.is_authenticated:
        return teams.none()
    if not user.is_staff:
        teams = teams.filter(memberships__user=user)
    return teams.order_by("name")


def team_get(*, user: User, team_id: object) -> Team:
    try:
        return team_list(user=user).get(pk=int(team_id))  # type: ignore[call-overload]
    except (Team.DoesNotExist, TypeError, ValueError, OverflowError):
        raise NotFound("Team not found.") from None


def team_is_member(*, user: User, team: Team) -> bool:
    if not user.is_authenticated:
        return False
    return bool(user.is_staff) or TeamMembership.objects.filter(team=team, user=user).exists()


def team_is_manager(*, user: User, team: Team) -> bool:
    if not user.is_authenticated:
        return False
    return (
        bool(user.is_staff)
        or TeamMembership.objects.filter(team=team, user=user, role=TeamRole.MANAGER).exists()
    )


def team_membership_list(*, team: Team) -> QuerySet[TeamMembership]:
    return team.memberships.select_related("user").order_by("user__username")


def team_managers(*, team: Team) -> QuerySet:
    from django.contrib.auth import get_user_model

    return get_user_model().objects.filter(
        team_memberships__team=team, team_memberships__role=TeamRole.MANAGER, is_active=True
    )
