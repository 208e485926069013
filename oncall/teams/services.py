"""Writes for teams and memberships."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User as AuthUser
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.text import slugify

from common.errors import AccessDenied, Conflict, InvalidInput, NotFound
from common.history import attribute_history
from oncall.teams.models import Team, TeamMembership, TeamRole
from oncall.teams.selectors import team_is_manager, team_is_member


def _derive_key(name: str) -> str:
    letters = "".join(ch for ch in name.upper() if ch.isalnum())
    return (letters[:3] or "TM").ljust(2, "X")


@transaction.atomic
def team_create(
    *, actor: AuthUser, name: str, slug: str = "", key: str = "", description: str = ""
) -> Team:
    if not actor.is_staff:
        raise AccessDenied("Only staff can create teams.")
    name = name.strip()
    if not name:
        raise InvalidInput("A team needs a name.", errors={"name": ["This field is required."]})
    slug = slug or slugify(name)
    key = (key or _derive_key(name)).upper()
    team = Team(name=name, slug=slug, key=key, description=description)
    if Team.objects.filter(Q(name__iexact=name) | Q(slug=slug) | Q(key=key)).exists():
        raise Conflict("A team with this name, slug or key already exists.")
    team.full_clean(validate_unique=False)
    try:
        with transaction.atomic():
            attribute_history(team, actor).save()
    except IntegrityError:
        raise Conflict("A team with this name, slug or key already exists.") from None
    return team


@transaction.atomic
def team_member_add(
    *, actor: AuthUser, team: Team, user_id: int, role: str = TeamRole.MEMBER
) -> TeamMembership:
    team_require_manager(actor=actor, team=team, to="add members")
    if role not in TeamRole.values:
        raise InvalidInput(
            f"Unknown role {role!r}.",
            errors={"role": [f"Choose one of {', '.join(TeamRole.values)}."]},
        )
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        raise InvalidInput("No such active user.", errors={"user": ["No such active user."]})
    membership = TeamMembership.objects.select_for_update().filter(team=team, user=user).first()
    if membership is None:
        membership = TeamMembership(team=team, user=user, role=role)
        attribute_history(membership, actor).save()
    elif membership.role != role:
        membership.role = role
        attribute_history(membership, actor).save(update_fields=["role"])
    return membership


@transaction.atomic
def team_member_remove(*, actor: AuthUser, team: Team, user_id: int) -> None:
    team_require_manager(actor=actor, team=team, to="remove members")
    membership = (
        TeamMembership.objects.select_for_update().filter(team=team, user_id=user_id).first()
    )
    if membership is None:
        raise NotFound("That user is not a member of this team.")
    if membership.role == TeamRole.MANAGER:
        other_managers = team.memberships.filter(role=TeamRole.MANAGER).exclude(pk=membership.pk)
        if not other_managers.exists() and not actor.is_staff:
            raise Conflict("A team keeps at least one manager; promote someone else first.")
    attribute_history(membership, actor).delete()


def team_require_member(*, actor: AuthUser | None, team: Team) -> None:
    """The one membership guard of every service. ``actor`` None is the system itself (an
    alert, a beat task), which may act on any team."""
    if actor is not None and not team_is_member(user=actor, team=team):
        raise AccessDenied(f"You are not a member of team {team.name}.")


def team_require_manager(*, actor: AuthUser | None, team: Team, to: str) -> None:
    """The one manager guard (managers of the team, or staff): ``to`` says what needs
    it, for the message. ``actor`` None is the system itself."""
    if actor is not None and not team_is_manager(user=actor, team=team):
        raise AccessDenied(f"Only managers of team {team.name} (or staff) can {to}.")
