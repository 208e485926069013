"""Delivery of one message through one contact method.

Each channel is a function ``send(contact_method, message)`` that returns nothing on
success and raises ``DeliveryError`` on failure. Channels know nothing about incidents:
the caller (``incidents.paging``) builds a ``Message``.
"""

from dataclasses import dataclass, field

from oncall.contacts.models import ContactKind, ContactMethod


class DeliveryError(Exception):
    pass


@dataclass(frozen=True)
class MessageItem:
    """One incident inside a (possibly bundled) message."""

    incident_id: int
    reference: str
    title: str
    severity: str
    status: str
    url: str
    ack_url: str
    level: int


@dataclass(frozen=True)
class Message:
    recipient_username: str
    items: tuple[MessageItem, ...]
    page_ids: tuple[int, ...] = field(default=())

    @property
    def subject(self) -> str:
        if len(self.items) == 1:
            item = self.items[0]
            return f"[{item.severity}] {item.reference}: {item.title}"
        return f"{len(self.items)} incidents need you"

    @property
    def text(self) -> str:
        lines = [self.subject, ""]
        for item in self.items:
            lines += [
                f"{item.reference} [{item.severity}] {item.title} ({item.status})",
                f"  Open: {item.url}",
                f"  Acknowledge: {item.ack_url}",
            ]
        return "\n".join(lines)


def send(contact_method: ContactMethod, message: Message) -> None:
    from oncall.contacts.channels import email, pagerduty, slack, webhook

    senders = {
        ContactKind.EMAIL: email.send,
        ContactKind.SLACK: slack.send,
        ContactKind.WEBHOOK: webhook.send,
        ContactKind.PAGERDUTY: pagerduty.send,
    }
    sender = senders.get(contact_method.kind)
    if sender is None:
        raise DeliveryError(f"Unknown contact method kind {contact_method.kind!r}.")
    try:
        sender(contact_method, message)
    except DeliveryError:
        raise
    except Exception as exc:  # a channel's library error must not escape as anything else
        raise DeliveryError(f"{type(exc).__name__}: {exc}") from exc
