"""Reads for schedules, policies and contact methods, scoped to the user's teams."""

from typing import Any

from django.db.models import QuerySet

from oncall.contacts.models import ContactMethod
from oncall.teams.selectors import User as AnyUser
from oncall.teams.selectors_scoping import _get


def contact_method_list(*, user: AnyUser) -> QuerySet[ContactMethod]:
    return ContactMethod.objects.filter(user=user).order_by("pk")


def contact_method_get(*, user: AnyUser, method_id: Any) -> ContactMethod:
    return _get(contact_method_list(user=user), method_id, "Contact method")
