"""Writes for a person's own contact methods, their verification and test
notifications, their notification rules, and on-call preferences (shift notifications,
the "my shifts" iCal feed token).

The API and the admin check addresses through the same function here
(``contact_method_problems``), and notification rules through
``notification_rule_problems``, so both reject the same mistakes with the same messages.

Verification codes and test notifications are outbox messages written inside the
service's transaction; what they say is rendered just before the send
(``oncall.contacts.outbox``), so no secret (a webhook's signing key) is stored with them.
"""

import hmac
import re
import secrets
from datetime import datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User as AuthUser
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.crypto import salted_hmac

from common.errors import Conflict, DomainError, InvalidInput, NotFound, RateLimited
from common.history import attribute_history, save_changed
from common.outbound import outbound_url_problems
from common.tokens import new_feed_token
from common.zones import time_zone_problems
from oncall.contacts import channels
from oncall.contacts.models import (
    MAX_RULE_DELAY_MINUTES,
    PHONE_KINDS,
    ContactKind,
    ContactMethod,
    NotificationRule,
    OnCallPreference,
)
from outbox.models import Message, Urgency
from outbox.services import message_enqueue, messages_cancel

# E.164: a plus, then the country code and the number, 8 to 15 digits in all.
PHONE_NUMBER = re.compile(r"\+[1-9][0-9]{7,14}")
PHONE_NUMBER_HINT = (
    "Use the international format (E.164): + and the country code, then the number, "
    "8 to 15 digits, no spaces (e.g. +14155550100)."
)

VERIFY_PURPOSE = "contact.verify"
TEST_PURPOSE = "contact.test"
VERIFICATION_CODE = re.compile(r"[0-9]{6}")
VERIFICATION_CODE_TTL = timedelta(minutes=10)
VERIFICATION_MAX_ATTEMPTS = 5
# A new code (or a test notification) at most this often per contact method: each one
# costs a text or a call, and must not be usable to flood someone's phone.
RESEND_INTERVAL = timedelta(seconds=60)

DUPLICATE_RULE = "There is already a rule for this contact method at this delay."


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
    if kind in PHONE_KINDS and not PHONE_NUMBER.fullmatch(address):
        return {"address": [f"Not a phone number. {PHONE_NUMBER_HINT}"]}
    return {}


def _own_locked(actor: AuthUser, method: ContactMethod) -> ContactMethod:
    """The actor's own ``method``, locked for the rest of the transaction."""
    locked = ContactMethod.objects.select_for_update().filter(pk=method.pk, user=actor).first()
    if locked is None:
        raise NotFound("Contact method not found.")
    return locked


@transaction.atomic
def contact_method_create(
    *,
    actor: AuthUser,
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
    *, actor: AuthUser, method: ContactMethod, **fields: Any
) -> ContactMethod:
    locked = _own_locked(actor, method)
    also: list[str] = []
    if "address" in fields:
        errors = contact_method_problems(locked.kind, fields["address"])
        if errors:
            raise InvalidInput("The contact method is not valid.", errors=errors)
        fields["address"] = fields["address"].strip()
        if fields["address"] != locked.address and locked.needs_verification:
            # A new number must be proved again; a code sent to the old one is void.
            also = contact_method_verification_reset(locked)
    save_changed(locked, actor, fields, also=tuple(also))
    return locked


@transaction.atomic
def contact_method_delete(*, actor: AuthUser, method: ContactMethod) -> None:
    attribute_history(method, actor).delete()


# --- verification of phone numbers ---------------------------------------------------


def verification_code_hash(method_id: int, code: str) -> str:
    """What is stored of a code: an HMAC keyed by SECRET_KEY, so a copy of the database
    does not give the code away (a 6-digit code is too short to hash plainly)."""
    return salted_hmac(
        "tocsin.contacts.verification", f"{method_id}:{code}", algorithm="sha256"
    ).hexdigest()


def verification_expires_at(method: ContactMethod) -> datetime | None:
    if not method.verification_code_hash or method.verification_sent_at is None:
        return None
    return method.verification_sent_at + VERIFICATION_CODE_TTL


def verification_code_current(method: ContactMethod, code: str, *, now: datetime) -> bool:
    """``code`` is the method's outstanding code, not yet expired nor used up."""
    expires_at = verification_expires_at(method)
    return (
        expires_at is not None
        and now < expires_at
        and method.verification_attempts < VERIFICATION_MAX_ATTEMPTS
        and hmac.compare_digest(
            method.verification_code_hash, verification_code_hash(method.pk, code)
        )
    )


_VERIFICATION_STATE = (
    "verification_code_hash",
    "verification_sent_at",
    "verification_attempts",
)


def contact_method_verification_reset(method: ContactMethod) -> list[str]:
    """Make ``method`` unverified with no code outstanding (its number changed); the
    caller saves the names returned. Codes already queued are cancelled."""
    method.verified_at = None
    method.verification_code_hash = ""
    method.verification_sent_at = None
    method.verification_attempts = 0
    if method.pk:
        messages_cancel(group=f"{VERIFY_PURPOSE}:{method.pk}", purpose=VERIFY_PURPOSE)
    return ["verified_at", *_VERIFICATION_STATE]


def _cooldown(since: datetime | None, now: datetime, what: str) -> None:
    if since is not None and now < since + RESEND_INTERVAL:
        wait = int((since + RESEND_INTERVAL - now).total_seconds()) + 1
        raise RateLimited(
            f"{what} was sent less than {int(RESEND_INTERVAL.total_seconds())} seconds ago; "
            f"try again in {wait} s.",
            extra={"retry_after": wait},
        )


@transaction.atomic
def contact_method_verification_send(*, actor: AuthUser, method: ContactMethod) -> ContactMethod:
    """Send a new 6-digit code to the actor's own phone method (SMS or voice, as the
    method is). The code is stored as an HMAC only, lasts 10 minutes and allows 5 tries;
    a new code voids the previous one. At most one code a minute."""
    locked = _own_locked(actor, method)
    if not locked.needs_verification:
        raise Conflict("Only phone numbers (SMS and voice) are verified by a code.")
    if locked.verified_at is not None:
        raise Conflict("This number is already verified.")
    now = timezone.now()
    _cooldown(locked.verification_sent_at, now, "A code")
    code = f"{secrets.randbelow(10**6):06d}"
    messages_cancel(group=f"{VERIFY_PURPOSE}:{locked.pk}", purpose=VERIFY_PURPOSE)
    locked.verification_code_hash = verification_code_hash(locked.pk, code)
    locked.verification_sent_at = now
    locked.verification_attempts = 0
    # Only unrecorded fields change: no history row for a code sent.
    locked.skip_history_when_saving = True  # type: ignore[attr-defined]
    locked.save(update_fields=list(_VERIFICATION_STATE))
    del locked.skip_history_when_saving  # type: ignore[attr-defined]
    message_enqueue(
        key=f"{VERIFY_PURPOSE}:{locked.pk}:{secrets.token_hex(8)}",
        purpose=VERIFY_PURPOSE,
        transport=locked.kind,
        address=locked.address,
        # The code travels to the sender here and is wiped from the row once sent or
        # given up (see oncall.contacts.outbox).
        payload={"contact_method_id": locked.pk, "code": code},
        urgency=Urgency.HIGH,
        recipient=actor,
        group=f"{VERIFY_PURPOSE}:{locked.pk}",
    )
    return locked


def contact_method_verify(*, actor: AuthUser, method: ContactMethod, code: str) -> ContactMethod:
    """Check ``code`` against the outstanding code of the actor's own phone method: right,
    the method is verified (and pages from now on); wrong, one of the 5 tries is used;
    expired or used up, a new code must be asked for."""
    code = "".join(str(code or "").split())
    if not VERIFICATION_CODE.fullmatch(code):
        raise InvalidInput("The code is six digits.", errors={"code": ["Six digits."]})
    # A wrong try must be counted even though the answer is an error: the count commits
    # with the transaction, the error is raised after it.
    with transaction.atomic():
        locked = _own_locked(actor, method)
        refusal = _verify_locked(actor, locked, code, timezone.now())
    if refusal is not None:
        raise refusal
    return locked


def _verify_locked(
    actor: AuthUser, method: ContactMethod, code: str, now: datetime
) -> DomainError | None:
    if not method.needs_verification:
        return Conflict("Only phone numbers (SMS and voice) are verified by a code.")
    if method.verified_at is not None:
        return Conflict("This number is already verified.")
    expires_at = verification_expires_at(method)
    if expires_at is None:
        return Conflict("No code has been sent: ask for one first.")
    if method.verification_attempts >= VERIFICATION_MAX_ATTEMPTS:
        return RateLimited(
            f"{VERIFICATION_MAX_ATTEMPTS} wrong codes: this code is locked. Ask for a new one."
        )
    if now >= expires_at:
        return InvalidInput(
            "The code has expired.",
            errors={"code": ["This code has expired (codes last 10 minutes): ask for a new one."]},
        )
    if not hmac.compare_digest(
        method.verification_code_hash, verification_code_hash(method.pk, code)
    ):
        method.verification_attempts += 1
        method.skip_history_when_saving = True  # type: ignore[attr-defined]
        method.save(update_fields=["verification_attempts"])
        del method.skip_history_when_saving  # type: ignore[attr-defined]
        left = VERIFICATION_MAX_ATTEMPTS - method.verification_attempts
        hint = (
            f"{left} {'try' if left == 1 else 'tries'} left."
            if left
            else "No tries left: ask for a new code."
        )
        return InvalidInput("Wrong code.", errors={"code": [f"Wrong code. {hint}"]})
    method.verified_at = now
    method.verification_code_hash = ""
    method.verification_sent_at = None
    method.verification_attempts = 0
    attribute_history(method, actor).save(update_fields=["verified_at", *_VERIFICATION_STATE])
    return None


# --- test notifications ----------------------------------------------------------------


def contact_method_test_message(method: ContactMethod) -> channels.Message:
    """The message a test notification renders: one item that says it is a test."""
    return channels.Message(
        recipient_username=method.user.get_username(),
        items=(
            channels.MessageItem(
                incident_id=0,
                reference="Tocsin",
                title="This is a test notification. Nothing is wrong; no action is needed.",
                severity="TEST",
                status="test",
                url=settings.SITE_URL + "/",
                ack_url=settings.SITE_URL + "/",
                level=0,
            ),
        ),
    )


@transaction.atomic
def contact_method_send_test(*, actor: AuthUser, method: ContactMethod) -> Message:
    """Queue a test notification to the actor's own contact method, of any kind, rendered
    as a page is. A phone number must be verified first. At most one a minute."""
    locked = _own_locked(actor, method)
    if not locked.verified:
        raise Conflict("Verify this number before sending it a test.")
    now = timezone.now()
    group = f"{TEST_PURPOSE}:{locked.pk}"
    last = (
        Message.objects.filter(group=group, purpose=TEST_PURPOSE)
        .order_by("-created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    _cooldown(last, now, "A test notification")
    rendered = channels.render(locked, contact_method_test_message(locked))
    return message_enqueue(
        key=f"{TEST_PURPOSE}:{locked.pk}:{secrets.token_hex(8)}",
        purpose=TEST_PURPOSE,
        transport=rendered.transport,
        address=rendered.address,
        # The id only: the content (and a webhook's secret) is loaded when it is sent.
        payload={"contact_method_id": locked.pk},
        urgency=Urgency.HIGH,
        recipient=actor,
        group=group,
    )


# --- notification rules ----------------------------------------------------------------


def notification_rule_problems(
    *,
    user: AuthUser,
    urgency: str,
    delay_minutes: int,
    contact_method_id: int | None,
    rule_id: int | None = None,
) -> dict[str, list[str]]:
    """What is wrong with a rule (field errors); the API's services and the admin's
    inline both ask here."""
    errors: dict[str, list[str]] = {}
    if urgency not in Urgency.values:
        errors["urgency"] = [f"One of {', '.join(Urgency.values)}."]
    if not isinstance(delay_minutes, int) or not 0 <= delay_minutes <= MAX_RULE_DELAY_MINUTES:
        errors["delay_minutes"] = [f"Between 0 and {MAX_RULE_DELAY_MINUTES} minutes."]
    if (
        contact_method_id is None
        or not ContactMethod.objects.filter(pk=contact_method_id, user=user).exists()
    ):
        errors["contact_method"] = ["Not one of your contact methods."]
    if not errors:
        duplicate = NotificationRule.objects.filter(
            user=user,
            urgency=urgency,
            contact_method_id=contact_method_id,
            delay_minutes=delay_minutes,
        )
        if rule_id is not None:
            duplicate = duplicate.exclude(pk=rule_id)
        if duplicate.exists():
            errors["delay_minutes"] = [DUPLICATE_RULE]
    return errors


def _duplicate_rule() -> InvalidInput:
    return InvalidInput(
        "The notification rule is not valid.", errors={"delay_minutes": [DUPLICATE_RULE]}
    )


@transaction.atomic
def notification_rule_create(
    *,
    actor: AuthUser,
    urgency: str,
    delay_minutes: int,
    contact_method_id: int,
    position: int | None = None,
) -> NotificationRule:
    """A rule of the actor's own, on one of the actor's own contact methods; it goes
    after the actor's other rules of that urgency unless ``position`` says otherwise."""
    errors = notification_rule_problems(
        user=actor,
        urgency=urgency,
        delay_minutes=delay_minutes,
        contact_method_id=contact_method_id,
    )
    if errors:
        raise InvalidInput("The notification rule is not valid.", errors=errors)
    if position is None:
        last = NotificationRule.objects.filter(user=actor, urgency=urgency).aggregate(
            last=Max("position")
        )["last"]
        position = 0 if last is None else last + 1
    rule = NotificationRule(
        user=actor,
        urgency=urgency,
        delay_minutes=delay_minutes,
        contact_method_id=contact_method_id,
        position=position,
    )
    try:
        with transaction.atomic():
            attribute_history(rule, actor).save()
    except IntegrityError:  # a concurrent request wrote the same rule
        raise _duplicate_rule() from None
    return rule


@transaction.atomic
def notification_rule_update(
    *, actor: AuthUser, rule: NotificationRule, **fields: Any
) -> NotificationRule:
    locked = NotificationRule.objects.select_for_update().filter(pk=rule.pk, user=actor).first()
    if locked is None:
        raise NotFound("Notification rule not found.")
    errors = notification_rule_problems(
        user=actor,
        urgency=fields.get("urgency", locked.urgency),
        delay_minutes=fields.get("delay_minutes", locked.delay_minutes),
        contact_method_id=fields.get("contact_method_id", locked.contact_method_id),
        rule_id=locked.pk,
    )
    if errors:
        raise InvalidInput("The notification rule is not valid.", errors=errors)
    try:
        with transaction.atomic():
            save_changed(locked, actor, fields)
    except IntegrityError:
        raise _duplicate_rule() from None
    return locked


@transaction.atomic
def notification_rule_delete(*, actor: AuthUser, rule: NotificationRule) -> None:
    locked = NotificationRule.objects.select_for_update().filter(pk=rule.pk, user=actor).first()
    if locked is None:
        raise NotFound("Notification rule not found.")
    attribute_history(locked, actor).delete()


@transaction.atomic
def oncall_preference_set(
    *,
    actor: AuthUser,
    notify_hours_before_shift: int | None,
    notify_at_shift_end: bool,
    time_zone: str | None = None,
    work_starts: time | None = None,
    work_ends: time | None = None,
    work_days: str | None = None,
) -> OnCallPreference:
    """Shift notifications, and (when given) the person's time zone and working hours:
    low-urgency pages wait for those hours in that zone."""
    errors: dict[str, list[str]] = {}
    if notify_hours_before_shift is not None and not 0 <= notify_hours_before_shift <= 48:
        errors["notify_hours_before_shift"] = ["Between 0 and 48."]
    if time_zone is not None and time_zone_problems(time_zone):
        errors["time_zone"] = time_zone_problems(time_zone)
    if work_days is not None and not set(work_days) <= set("1234567"):
        errors["work_days"] = ['ISO weekday digits, 1 = Monday … 7 = Sunday, e.g. "12345".']
    if errors:
        raise InvalidInput("Invalid preference.", errors=errors)
    preference, _ = OnCallPreference.objects.select_for_update().get_or_create(user=actor)
    preference.notify_hours_before_shift = notify_hours_before_shift
    preference.notify_at_shift_end = notify_at_shift_end
    if time_zone is not None:
        preference.time_zone = time_zone
    if work_starts is not None:
        preference.work_starts = work_starts
    if work_ends is not None:
        preference.work_ends = work_ends
    if work_days is not None:
        preference.work_days = "".join(sorted(set(work_days)))
    attribute_history(preference, actor).save()
    return preference


@transaction.atomic
def oncall_preference_get(*, actor: AuthUser) -> OnCallPreference:
    """The user's preferences, created with the defaults (and a feed token) the first
    time they are asked for."""
    preference, _ = OnCallPreference.objects.get_or_create(user=actor)
    return preference


@transaction.atomic
def oncall_preference_rotate_ical_token(*, actor: AuthUser) -> OnCallPreference:
    """Revoke the user's "my shifts" iCal URL and issue a new one."""
    preference, _ = OnCallPreference.objects.select_for_update().get_or_create(user=actor)
    preference.ical_token = new_feed_token()
    attribute_history(preference, actor).save(update_fields=["ical_token"])
    return preference


# --- the person's profile ----------------------------------------------------------------


@transaction.atomic
def person_time_zone_confirm(*, actor: AuthUser, time_zone: str | None = None) -> OnCallPreference:
    """The person chose their zone: ``time_zone`` (their browser's, say), or None to keep
    the one they have. Either way they are not asked again."""
    if time_zone is not None and time_zone_problems(time_zone):
        raise InvalidInput(
            "Unknown time zone.", errors={"time_zone": time_zone_problems(time_zone)}
        )
    preference, _ = OnCallPreference.objects.select_for_update().get_or_create(user=actor)
    fields = ["time_zone_confirmed_at"]
    if time_zone is not None and time_zone != preference.time_zone:
        preference.time_zone = time_zone
        fields.append("time_zone")
    preference.time_zone_confirmed_at = timezone.now()
    attribute_history(preference, actor).save(update_fields=fields)
    return preference


@transaction.atomic
def person_profile_update(
    *,
    actor: AuthUser,
    first_name: str,
    last_name: str,
    time_zone: str,
    work_starts: time,
    work_ends: time,
    work_days: str,
) -> OnCallPreference:
    """The profile page's save: the person's name, their time zone (which counts as
    chosen) and working hours (low-urgency pages wait for them)."""
    errors: dict[str, list[str]] = {}
    if time_zone_problems(time_zone):
        errors["time_zone"] = time_zone_problems(time_zone)
    if not set(work_days) <= set("1234567"):
        errors["work_days"] = ["Pick days of the week."]
    if len(first_name.strip()) > 150 or len(last_name.strip()) > 150:
        errors["first_name"] = ["At most 150 characters."]
    if errors:
        raise InvalidInput("The profile could not be saved.", errors=errors)
    name_fields = {"first_name": first_name.strip(), "last_name": last_name.strip()}
    changed = [name for name, value in name_fields.items() if getattr(actor, name) != value]
    for name in changed:
        setattr(actor, name, name_fields[name])
    if changed:
        actor.save(update_fields=changed)
    preference, _ = OnCallPreference.objects.select_for_update().get_or_create(user=actor)
    save_changed(
        preference,
        actor,
        {
            "time_zone": time_zone,
            "work_starts": work_starts,
            "work_ends": work_ends,
            "work_days": "".join(sorted(set(work_days))),
            "time_zone_confirmed_at": preference.time_zone_confirmed_at or timezone.now(),
        },
    )
    return preference
