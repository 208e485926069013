"""Reads for schedules, policies and contact methods, scoped to the user's teams."""

from typing import Any

from django.db.models import Prefetch, QuerySet

from oncall.policies.models import EscalationPolicy, EscalationRule, EscalationTarget
from oncall.teams.selectors import User as AnyUser
from oncall.teams.selectors_scoping import _get, _scoped


def escalation_policy_list(*, user: AnyUser, team_id: Any = None) -> QuerySet[EscalationPolicy]:
    rules = EscalationRule.objects.order_by("position", "pk").prefetch_related(
        Prefetch("targets", queryset=EscalationTarget.objects.order_by("pk"))
    )
    return _scoped(
        EscalationPolicy.objects.select_related("team").prefetch_related(
            Prefetch("rules", queryset=rules)
        ),
        user,
        team_id,
    ).order_by("team__name", "name", "pk")


def escalation_policy_get(*, user: AnyUser, policy_id: Any) -> EscalationPolicy:
    return _get(escalation_policy_list(user=user), policy_id, "Escalation policy")
