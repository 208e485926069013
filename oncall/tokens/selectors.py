"""Reads for API tokens: a person's own, a team's (for its managers), one token someone
may change, and the legacy token a person still has."""

from datetime import timedelta
from typing import Any

from django.contrib.auth.models import User as AuthUser
from django.db.models import F, Q, QuerySet
from django.utils import timezone
from rest_framework.authtoken.models import Token as LegacyToken

from common.errors import NotFound
from oncall.teams.models import Team
from oncall.teams.selectors import team_list_managed
from oncall.tokens.models import ApiToken

# Revoked tokens stay listed this long (so "it stopped working" has an answer), then go.
REVOKED_LISTED_FOR = timedelta(days=30)


def _listed(tokens: QuerySet[ApiToken]) -> QuerySet[ApiToken]:
    since = timezone.now() - REVOKED_LISTED_FOR
    return (
        tokens.filter(Q(revoked_at__isnull=True) | Q(revoked_at__gte=since))
        .select_related("created_by")
        .order_by(F("revoked_at").desc(nulls_first=True), "-created_at", "-id")
    )


def token_list_personal(*, user: AuthUser) -> QuerySet[ApiToken]:
    return _listed(ApiToken.objects.filter(owner=user))


def token_list_team(*, team: Team) -> QuerySet[ApiToken]:
    return _listed(ApiToken.objects.filter(team=team))


def token_get_manageable(*, user: AuthUser, token_id: Any) -> ApiToken:
    """A token ``user`` may rotate or revoke: their own, a token of a team they manage, or
    (staff) any. Anything else is "not found"."""
    tokens = ApiToken.objects.select_related("team", "owner")
    if not user.is_staff:
        tokens = tokens.filter(Q(owner=user) | Q(team__in=team_list_managed(user=user)))
    try:
        return tokens.get(pk=int(token_id))
    except (ApiToken.DoesNotExist, TypeError, ValueError, OverflowError):
        raise NotFound("Token not found.") from None


def legacy_token_of(*, user: AuthUser) -> LegacyToken | None:
    return LegacyToken.objects.filter(user=user).first()
