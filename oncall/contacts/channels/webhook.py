"""Generic webhook: a JSON POST, signed with the contact method's secret (HMAC-SHA256 of
the exact body bytes in ``X-Tocsin-Signature``); the body's ``id`` and the
``Idempotency-Key`` header carry the message's idempotency key."""

from oncall.contacts.channels import Message, Rendered
from oncall.contacts.models import ContactMethod


def payload(message: Message) -> dict:
    return {
        "type": "page",
        "recipient": message.recipient_username,
        "subject": message.subject,
        "incidents": [
            {
                "id": item.incident_id,
                "reference": item.reference,
                "title": item.title,
                "severity": item.severity,
                "status": item.status,
                "url": item.url,
                "acknowledge_url": item.ack_url,
                "level": item.level,
                "drill": item.drill,
            }
            for item in message.items
        ],
    }


def render(contact_method: ContactMethod, message: Message) -> Rendered:
    return Rendered(
        "webhook",
        contact_method.address,
        {"body": payload(message), "secret": contact_method.secret},
    )
