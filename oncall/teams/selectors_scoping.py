"""Reads for schedules, policies and contact methods, scoped to the user's teams."""

from typing import Any

from django.db.models import QuerySet

from common.errors import NotFound
from oncall.teams.selectors import User as AnyUser
from oncall.teams.selectors import team_ids_for_user


def _scoped(qs: QuerySet, user: AnyUser, team_id: Any = None) -> QuerySet:
    team_ids = team_ids_for_user(user=user)
    if team_ids is not None:
        qs = qs.filter(team_id__in=team_ids)
    if team_id not in (None, ""):
        try:
            qs = qs.filter(team_id=int(team_id))
        except (TypeError, ValueError):
            return qs.none()
    return qs


def _get(qs: QuerySet, pk: Any, what: str):
    try:
        return qs.get(pk=int(pk))
    except (qs.model.DoesNotExist, TypeError, ValueError, OverflowError):
        raise NotFound(f"{what} not found.") from None
