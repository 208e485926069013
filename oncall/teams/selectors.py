"""Reads for teams and their members, and the team scoping every on-call read goes
through: a user sees the rows of their own teams (staff: every team; anonymous: none)."""

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.models import User as AuthUser
from django.core.signing import BadSignature, Signer
from django.db.models import Count, QuerySet

from common.errors import NotFound
from oncall.teams.models import Team, TeamInvitation, TeamMembership, TeamRole

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
    to its team): everything for staff, nothing for anonymous callers. The other apps'
    selectors (incidents, postmortems, runbooks) scope through here."""
    if not user.is_authenticated:
        return qs.none()
    if user.is_staff:
        return qs
    return qs.filter(**{f"{team_field}__memberships__user": user})


def team_scoped_by_id(qs: QuerySet, *, user: User, team_id: Any = None) -> QuerySet:
    """``qs`` (rows with a ``team_id``) narrowed to the user's teams, and to ``team_id``
    when one is given (a ``team_id`` that is not a number matches nothing). Schedules and
    escalation policies are listed through here."""
    team_ids = team_ids_for_user(user=user)
    if team_ids is not None:
        qs = qs.filter(team_id__in=team_ids)
    if team_id not in (None, ""):
        try:
            qs = qs.filter(team_id=int(team_id))
        except (TypeError, ValueError):
            return qs.none()
    return qs


def row_get_or_not_found(qs: QuerySet, *, pk: Any, what: str) -> Any:
    """The row ``pk`` of ``qs`` (already scoped to what the user may see), or NotFound
    "<what> not found." when it is not there or ``pk`` is not a number."""
    try:
        return qs.get(pk=int(pk))
    except (qs.model.DoesNotExist, TypeError, ValueError, OverflowError):
        raise NotFound(f"{what} not found.") from None


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


def team_list_managed(*, user: User) -> QuerySet[Team]:
    """The teams ``user`` manages (staff: every team), for pickers of what only managers
    change (integrations, invitations)."""
    if user.is_authenticated and not user.is_staff:
        return Team.objects.filter(
            memberships__user=user, memberships__role=TeamRole.MANAGER
        ).order_by("name")
    return team_list(user=user)


def team_managers(*, team: Team) -> QuerySet:
    return get_user_model().objects.filter(
        team_memberships__team=team, team_memberships__role=TeamRole.MANAGER, is_active=True
    )


VIEWER_UNKNOWN: Any = object()


def usernames_listed(user_ids: list[Any], *, viewer: Any = VIEWER_UNKNOWN) -> str:
    """The users, comma-separated, for a message. With a ``viewer``, only people who share
    a team with them (staff: everyone) are named; anyone else is "user <id>", so an error
    never tells a member of one team who is behind another team's user id. Without one
    (the admin, which only staff reach) every user is named; ids that name no user stay
    ids either way."""
    users = get_user_model().objects.filter(pk__in=[u for u in user_ids if isinstance(u, int)])
    if viewer is not VIEWER_UNKNOWN and not getattr(viewer, "is_staff", False):
        if viewer is None or not viewer.is_authenticated:
            users = users.none()
        else:
            users = users.filter(
                team_memberships__team__in=Team.objects.filter(memberships__user=viewer)
            ).distinct()
    names = dict(users.values_list("pk", "username"))
    if viewer is VIEWER_UNKNOWN:
        return ", ".join(str(names.get(uid, uid)) for uid in user_ids)
    return ", ".join(str(names[uid]) if uid in names else f"user {uid}" for uid in user_ids)


def team_list_with_counts(*, user: User) -> QuerySet[Team]:
    """The user's teams (staff: every team) with ``member_count``, for the teams page."""
    return team_list(user=user).annotate(member_count=Count("memberships", distinct=True))


def memberships_of(*, user: User) -> QuerySet[TeamMembership]:
    """The user's own memberships, with their teams."""
    if not user.is_authenticated:
        return TeamMembership.objects.none()
    return TeamMembership.objects.filter(user=user).select_related("team").order_by("team__name")


def team_role_of(*, user: User, team: Team) -> str | None:
    """The user's role in ``team`` (None: not a member, staff or not)."""
    if not user.is_authenticated:
        return None
    return (
        TeamMembership.objects.filter(team=team, user=user).values_list("role", flat=True).first()
    )


# --- invitations -------------------------------------------------------------------------


def _invitation_signer() -> Signer:
    return Signer(salt="tocsin.teams.invitation", sep=".")


def invitation_token(invitation: TeamInvitation) -> str:
    """The secret part of the invitation's link: its id and nonce, signed."""
    return _invitation_signer().sign(f"{invitation.pk}.{invitation.nonce}")


def invitation_from_token(token: str) -> TeamInvitation | None:
    """The invitation a link's token names, in whatever state it is (accepted, withdrawn,
    expired: the caller says which), or None for a token that is not one of ours or whose
    invitation was renewed since (a new nonce) or deleted."""
    try:
        value = _invitation_signer().unsign(str(token or ""))
    except BadSignature:
        return None
    pk, _, nonce = value.partition(".")
    try:
        invitation = (
            TeamInvitation.objects.select_related("team", "invited_by").filter(pk=int(pk)).first()
        )
    except (TypeError, ValueError, OverflowError):
        return None
    if invitation is None or not nonce or invitation.nonce != nonce:
        return None
    return invitation


def team_invitations_open(*, team: Team) -> QuerySet[TeamInvitation]:
    """The team's invitations nobody has answered or withdrawn (expired ones included:
    the page says they expired), newest first."""
    return (
        TeamInvitation.objects.filter(team=team, accepted_at__isnull=True, revoked_at__isnull=True)
        .select_related("invited_by")
        .order_by("-sent_at", "-pk")
    )


def team_invitation_get(*, team: Team, invitation_id: Any) -> TeamInvitation:
    return row_get_or_not_found(
        TeamInvitation.objects.filter(team=team).select_related("team"),
        pk=invitation_id,
        what="Invitation",
    )


def account_exists_for(*, email: str) -> bool:
    """Whether someone already has an account with this address."""
    return get_user_model().objects.filter(email__iexact=(email or "").strip()).exists()
