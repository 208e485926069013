"""Reads for PagerDuty mirrors, scoped to the user's teams."""

from typing import Any

from django.db.models import QuerySet

from common.errors import NotFound
from incidents.mirroring.models import PagerDutyMirror
from incidents.selectors import User
from oncall.teams.selectors import team_scoped


def pagerduty_mirror_list(*, user: User) -> QuerySet[PagerDutyMirror]:
    return team_scoped(PagerDutyMirror.objects.select_related("service"), user=user).order_by(
        "team_id", "id"
    )


def pagerduty_mirror_get(*, user: User, mirror_id: Any) -> PagerDutyMirror:
    try:
        return pagerduty_mirror_list(user=user).get(pk=int(mirror_id))
    except (PagerDutyMirror.DoesNotExist, TypeError, ValueError, OverflowError):
        raise NotFound("PagerDuty mirror not found.") from None
