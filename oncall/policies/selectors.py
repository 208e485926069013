"""Reads for escalation policies (with their rules and targets), scoped to the user's
teams."""

from typing import Any

from django.db.models import Prefetch, QuerySet

from oncall.policies.models import EscalationPolicy, EscalationRule, EscalationTarget
from oncall.teams.selectors import User as AnyUser
from oncall.teams.selectors import row_get_or_not_found, team_scoped_by_id


def escalation_policy_list(*, user: AnyUser, team_id: Any = None) -> QuerySet[EscalationPolicy]:
    rules = EscalationRule.objects.order_by("position", "pk").prefetch_related(
        Prefetch("targets", queryset=EscalationTarget.objects.order_by("pk"))
    )
    return team_scoped_by_id(
        EscalationPolicy.objects.select_related("team").prefetch_related(
            Prefetch("rules", queryset=rules)
        ),
        user=user,
        team_id=team_id,
    ).order_by("team__name", "name", "pk")


def escalation_policy_get(*, user: AnyUser, policy_id: Any) -> EscalationPolicy:
    return row_get_or_not_found(
        escalation_policy_list(user=user), pk=policy_id, what="Escalation policy"
    )
