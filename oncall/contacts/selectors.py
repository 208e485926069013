"""Reads for contact methods: each person sees only their own."""

from typing import Any

from django.db.models import QuerySet

from oncall.contacts.models import ContactMethod
from oncall.teams.selectors import User as AnyUser
from oncall.teams.selectors import row_get_or_not_found


def contact_method_list(*, user: AnyUser) -> QuerySet[ContactMethod]:
    return ContactMethod.objects.filter(user=user).order_by("pk")


def contact_method_get(*, user: AnyUser, method_id: Any) -> ContactMethod:
    return row_get_or_not_found(contact_method_list(user=user), pk=method_id, what="Contact method")
