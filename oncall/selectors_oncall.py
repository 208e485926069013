"""Reads for schedules, policies and contact methods, scoped to the user's teams."""

from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Prefetch, QuerySet

from config.errors import NotFound
from oncall.models import (
    ContactMethod,
    EscalationPolicy,
    EscalationRule,
    EscalationTarget,
    Schedule,
    ScheduleOverride,
)
from oncall.schedules import schedule_queryset
from oncall.selectors import User as AnyUser
from oncall.selectors import team_ids_for_user


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


def schedule_list(*, user: AnyUser, team_id: Any = None) -> QuerySet[Schedule]:
    return _scoped(schedule_queryset(), user, team_id).order_by("team__name", "name", "pk")


def schedule_get(*, user: AnyUser, schedule_id: Any) -> Schedule:
    return _get(schedule_list(user=user), schedule_id, "Schedule")


def override_list(*, schedule: Schedule) -> QuerySet[ScheduleOverride]:
    return schedule.overrides.select_related("user").order_by("start", "pk")


def override_get(*, schedule: Schedule, override_id: Any) -> ScheduleOverride:
    return _get(
        ScheduleOverride.objects.select_related("schedule__team").filter(schedule=schedule),
        override_id,
        "Override",
    )


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


def contact_method_list(*, user: AnyUser) -> QuerySet[ContactMethod]:
    return ContactMethod.objects.filter(user=user).order_by("pk")


def contact_method_get(*, user: AnyUser, method_id: Any) -> ContactMethod:
    return _get(contact_method_list(user=user), method_id, "Contact method")


def schedules_users_without_contact(schedules: list[Schedule]) -> dict[int, list]:
    """For each schedule, the active users on its layers with no working way to be paged
    (no enabled contact method and no account email, or only failing ones). One query."""
    user_ids = {
        member.user_id
        for schedule in schedules
        for layer in schedule.layers.all()
        for member in layer.members.all()
    }
    working: set[int] = set()
    has_any: set[int] = set()
    for method in ContactMethod.objects.filter(user_id__in=user_ids):
        has_any.add(method.user_id)
        if method.working:
            working.add(method.user_id)
    result: dict[int, list] = {}
    for schedule in schedules:
        flagged: dict[int, Any] = {}
        for layer in schedule.layers.all():
            for member in layer.members.all():
                user = member.user
                if not user.is_active or user.pk in working:
                    continue
                if user.pk not in has_any and user.email:
                    continue  # the account email becomes their contact method
                flagged[user.pk] = user
        result[schedule.pk] = list(flagged.values())
    return result


def users_by_id(ids: set[int]) -> dict[int, Any]:
    return {u.pk: u for u in get_user_model().objects.filter(pk__in=ids)}
