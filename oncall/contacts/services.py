"""Writes for a person's own contact methods and on-call preferences (shift
notifications, the "my shifts" iCal feed token).

The API and the admin check addresses through the same function here
(``contact_method_problems``), so both reject the same mistakes with the same messages.
"""

from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.db import transaction

from common.errors import InvalidInput
from common.history import attribute_history, save_changed
from common.outbound import outbound_url_problems
from common.tokens import new_feed_token
from oncall.contacts.models import ContactKind, ContactMethod, OnCallPreference


def contact_method_problems(kind: str, address: str) -> dict[str, list[str]]:
    """What is wrong with ``address`` for a contact method of ``kind`` (field errors);
    the API's services and the admin's form both ask here."""
    address = address.strip()
    if not address:
        return {"address": ["This field is required."]}
    try:
        if kind == ContactKind.EMAIL:
            validate_email(address)
        elif kind == ContactKind.WEBHOOK or (
            kind == ContactKind.SLACK and address.startswith(("http://", "https://"))
        ):
            URLValidator(schemes=["http", "https"])(address)
            problems = outbound_url_problems(address)
            if problems:
                return {"address": problems}
    except ValidationError:
        return {"address": [f"Not a valid address for {kind}."]}
    if kind == ContactKind.PAGERDUTY and not address.isalnum():
        return {"address": ["A PagerDuty routing key is letters and digits."]}
    return {}


@transaction.atomic
def contact_method_create(
    *,
    actor: AbstractBaseUser,
    kind: str,
    address: str,
    label: str = "",
    secret: str = "",
    enabled: bool = True,
    min_interval_seconds: int | None = None,
) -> ContactMethod:
    if kind not in ContactKind.values:
        raise InvalidInput("Unknown kind.", errors={"kind": [f"One of {ContactKind.values}."]})
    errors = contact_method_problems(kind, address)
    if errors:
        raise InvalidInput("The contact method is not valid.", errors=errors)
    if min_interval_seconds is None:
        min_interval_seconds = settings.PAGING_DEFAULT_MIN_INTERVAL.get(kind, 0)
    method = ContactMethod(
        user=actor,
        kind=kind,
        address=address.strip(),
        label=label,
        secret=secret,
        enabled=enabled,
        min_interval_seconds=min_interval_seconds,
    )
    attribute_history(method, actor).save()
    return method


@transaction.atomic
def contact_method_update(
    *, actor: AbstractBaseUser, method: ContactMethod, **fields: Any
) -> ContactMethod:
    locked = ContactMethod.objects.select_for_update().get(pk=method.pk, user=actor)
    if "address" in fields:
        errors = contact_method_problems(locked.kind, fields["address"])
        if errors:
            raise InvalidInput("The contact method is not valid.", errors=errors)
    save_changed(locked, actor, fields)
    return locked


@transaction.atomic
def contact_method_delete(*, actor: AbstractBaseUser, method: ContactMethod) -> None:
    attribute_history(method, actor).delete()


@transaction.atomic
def oncall_preference_set(
    *,
    actor: AbstractBaseUser,
    notify_hours_before_shift: int | None,
    notify_at_shift_end: bool,
) -> OnCallPreference:
    if notify_hours_before_shift is not None and not 0 <= notify_hours_before_shift <= 48:
        raise InvalidInput(
            "Invalid preference.", errors={"notify_hours_before_shift": ["Between 0 and 48."]}
        )
    preference, _ = OnCallPreference.objects.select_for_update().get_or_create(user=actor)
    preference.notify_hours_before_shift = notify_hours_before_shift
    preference.notify_at_shift_end = notify_at_shift_end
    attribute_history(preference, actor).save()
    return preference


@transaction.atomic
def oncall_preference_get(*, actor: AbstractBaseUser) -> OnCallPreference:
    """The user's preferences, created with the defaults (and a feed token) the first
    time they are asked for."""
    preference, _ = OnCallPreference.objects.get_or_create(user=actor)
    return preference


@transaction.atomic
def oncall_preference_rotate_ical_token(*, actor: AbstractBaseUser) -> OnCallPreference:
    """Revoke the user's "my shifts" iCal URL and issue a new one."""
    preference, _ = OnCallPreference.objects.select_for_update().get_or_create(user=actor)
    preference.ical_token = new_feed_token()
    attribute_history(preference, actor).save(update_fields=["ical_token"])
    return preference
