"""Helpers shared by the services of this room: the postmortem's row lock, the team
check for people named on a postmortem or an action item, and who an actor is once
stored. No writes of their own."""

from collections.abc import Iterable

from django.contrib.auth.models import AbstractBaseUser

from oncall.teams.models import Team, TeamMembership
from postmortems.models import Postmortem


def postmortem_lock(*, postmortem: Postmortem | int) -> Postmortem:
    """The postmortem, row-locked (``select_for_update``) for the caller's transaction,
    with its incident's team and severity."""
    pk = postmortem.pk if isinstance(postmortem, Postmortem) else postmortem
    return (
        Postmortem.objects.select_for_update(of=("self",))
        .select_related("incident__team", "incident__severity")
        .get(pk=pk)
    )


def users_outside_team(
    *, team: Team, users: Iterable[AbstractBaseUser | None]
) -> list[AbstractBaseUser]:
    """The given users (None ignored) who are not members of ``team``, in one query."""
    people = [u for u in users if u is not None]
    member_ids = set(
        TeamMembership.objects.filter(team=team, user__in=people).values_list("user_id", flat=True)
    )
    return [u for u in people if u.pk not in member_ids]


def stored_actor(actor: AbstractBaseUser | None) -> AbstractBaseUser | None:
    """The actor as it is stored as a row's author, creator or approver: None for the
    system (a receiver or a beat task) and for an anonymous user."""
    return actor if actor is not None and actor.is_authenticated else None
