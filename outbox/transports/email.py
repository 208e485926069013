"""Email through Django's mail backend. ``Message-ID`` is derived from the idempotency
key, so a repeat after a crash mid-send carries the same id and mail clients fold it.

Content: ``{"subject": ..., "text": ..., "html": optional, "to": optional list}``; the
address is the recipient unless ``to`` names several."""

import hashlib

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection

from outbox.transports import Envelope, TransportError


def message_id(key: str) -> str:
    domain = settings.EMAIL_MESSAGE_ID_DOMAIN
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:32]}@{domain}>"


def send(envelope: Envelope) -> str:
    content = envelope.content
    recipients = list(content.get("to") or [envelope.address])
    recipients = [r for r in recipients if r]
    if not recipients:
        raise TransportError("No email address.", permanent=True)
    mid = message_id(envelope.key)
    email = EmailMultiAlternatives(
        subject=content.get("subject", ""),
        body=content.get("text", ""),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=recipients,
        headers={"Message-ID": mid, "X-Tocsin-Idempotency-Key": envelope.key},
        connection=get_connection(timeout=max(1.0, envelope.remaining())),
    )
    if content.get("html"):
        email.attach_alternative(content["html"], "text/html")
    try:
        sent = email.send(fail_silently=False)
    except (OSError, ValueError) as exc:
        raise TransportError(f"Mail server: {type(exc).__name__}: {exc}") from exc
    if not sent:
        raise TransportError("The mail backend accepted no message.")
    return mid
