"""Reads for contact methods and notification rules: each person sees only their own;
and the plan of who is notified how, which the paging engine follows."""

from typing import Any

from django.db.models import QuerySet

from oncall.contacts.models import ContactMethod, NotificationRule, OnCallPreference
from oncall.teams.selectors import User as AnyUser
from oncall.teams.selectors import row_get_or_not_found


def contact_method_list(*, user: AnyUser) -> QuerySet[ContactMethod]:
    return ContactMethod.objects.filter(user=user).order_by("pk")


def contact_method_get(*, user: AnyUser, method_id: Any) -> ContactMethod:
    return row_get_or_not_found(contact_method_list(user=user), pk=method_id, what="Contact method")


def notification_rule_list(*, user: AnyUser) -> QuerySet[NotificationRule]:
    return (
        NotificationRule.objects.filter(user=user)
        .select_related("contact_method")
        .order_by("urgency", "delay_minutes", "position", "pk")
    )


def notification_rule_get(*, user: AnyUser, rule_id: Any) -> NotificationRule:
    return row_get_or_not_found(
        notification_rule_list(user=user), pk=rule_id, what="Notification rule"
    )


def notification_plan(*, user: AnyUser, urgency: str) -> list[tuple[int, ContactMethod]]:
    """How ``user`` is notified of a page of ``urgency``: (minutes after the page, contact
    method), in order. Their rules for that urgency, by delay then position, skipping
    methods that cannot page (disabled, or a phone number not verified). With no rule for
    that urgency — or none left once those are skipped, so rules never make a person
    unreachable — every pageable method at once, as before rules existed. Reads only; a
    user with no contact method at all gets an empty plan (the engine then uses the
    account's email). Two queries at most."""
    rules = list(
        NotificationRule.objects.filter(user=user, urgency=urgency)
        .select_related("contact_method")
        .order_by("delay_minutes", "position", "pk")
    )
    plan = [(rule.delay_minutes, rule.contact_method) for rule in rules]
    plan = [(delay, method) for delay, method in plan if method.pageable]
    if plan:
        return plan
    methods = ContactMethod.objects.filter(user=user, enabled=True).order_by("pk")
    return [(0, method) for method in methods if method.pageable]


def person_time_zone(*, user: AnyUser) -> str | None:
    """The zone the person chose (``OnCallPreference.time_zone``), or None when they have
    no preference row yet. Every time shown to them is in it."""
    return OnCallPreference.objects.filter(user=user).values_list("time_zone", flat=True).first()
