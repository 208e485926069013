"""What the outbox asks of the contacts room: the verification codes and the test
notifications its services queue (``contact_method_verification_send``,
``contact_method_send_test``). ``register()`` is called once at start-up.

Both carry only the contact method's id (and a verification code, until it is sent or
given up) and render their content right before the send, from the method as it is
then: a webhook's signing secret is read from the method, never stored in the outbox; a
code that a newer code replaced, that expired, or whose number changed is not sent.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from oncall.contacts import channels
from oncall.contacts.channels import sms, voice
from oncall.contacts.models import ContactMethod
from oncall.contacts.services import (
    TEST_PURPOSE,
    VERIFY_PURPOSE,
    contact_method_test_message,
    verification_code_current,
)
from outbox.models import Message
from outbox.purposes import Purpose, purpose_register


def _method(message: Message) -> ContactMethod | None:
    method_id = (message.payload or {}).get("contact_method_id")
    if method_id is None:
        return None
    return ContactMethod.objects.select_related("user").filter(pk=method_id).first()


def prepare_verification(message: Message) -> dict[str, Any] | None:
    method = _method(message)
    code = str((message.payload or {}).get("code") or "")
    if method is None or not code or method.address != message.address:
        return None
    if method.verified_at is not None:
        return None
    if not verification_code_current(method, code, now=timezone.now()):
        return None
    if message.transport == "voice":
        return voice.verification_content(code)
    return sms.verification_content(code)


def _forget_code(message: Message) -> None:
    """The code leaves the outbox row once it is sent or given up."""
    if "code" in (message.payload or {}):
        message.payload = {k: v for k, v in message.payload.items() if k != "code"}
        message.save(update_fields=["payload"])


def _record_failure(message: Message, what: str) -> None:
    method_id = (message.payload or {}).get("contact_method_id")
    if method_id is None:
        return
    # Unrecorded delivery fields (no history), as the paging engine writes them.
    ContactMethod.objects.filter(pk=int(method_id)).update(
        last_error=f"{what}: {message.last_error}"[:2000], last_failed_at=timezone.now()
    )


def failed_verification(message: Message, final: bool) -> None:
    if final:
        _forget_code(message)
        _record_failure(message, "Verification code not delivered")


def prepare_test_notification(message: Message) -> dict[str, Any] | None:
    method = _method(message)
    if method is None:
        return None
    rendered = channels.render(method, contact_method_test_message(method))
    content = rendered.content
    if rendered.transport == "webhook":
        content["body"]["type"] = "test"
    return content


def failed_test_notification(message: Message, final: bool) -> None:
    if final:
        _record_failure(message, "Test notification failed")


def register() -> None:
    purpose_register(
        Purpose(
            VERIFY_PURPOSE,
            prepare=prepare_verification,
            sent=_forget_code,
            failed=failed_verification,
        )
    )
    purpose_register(
        Purpose(TEST_PURPOSE, prepare=prepare_test_notification, failed=failed_test_notification)
    )
