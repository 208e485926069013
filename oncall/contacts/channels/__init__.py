"""What a page looks like on each kind of contact method.

A page (or a bundle of pages due together) becomes a ``Message``; ``render`` turns it
into what the outbox sends through the contact method's transport: an email's subject
and text, a Slack text, a webhook's JSON body (with the signing secret, added at send
time and never stored), PagerDuty events, an SMS text, a voice call's script. Channels
know nothing about incidents beyond the ``MessageItem`` fields, and do no I/O.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from oncall.contacts.models import ContactKind, ContactMethod


class DeliveryError(Exception):
    """A contact method that cannot carry a message (an unknown kind)."""


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
    severity_level: int = 0
    drill: bool = False


@dataclass(frozen=True)
class Message:
    recipient_username: str
    items: tuple[MessageItem, ...]
    page_ids: tuple[int, ...] = field(default=())

    @property
    def highest(self) -> MessageItem:
        """The most severe item (the lowest severity level), the first among equals."""
        return min(self.items, key=lambda item: item.severity_level or 99)

    @property
    def subject(self) -> str:
        drill = "[DRILL] " if any(item.drill for item in self.items) else ""
        if len(self.items) == 1:
            item = self.items[0]
            return f"{drill}[{item.severity}] {item.reference}: {item.title}"
        return f"{drill}[{self.highest.severity}] {len(self.items)} incidents need you"

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


@dataclass(frozen=True)
class Rendered:
    """What the outbox sends: through which transport, to which address, with what."""

    transport: str
    address: str
    content: dict[str, Any]


Renderer = Callable[[ContactMethod, Message], Rendered]


def renderers() -> dict[str, Renderer]:
    from oncall.contacts.channels import email, pagerduty, slack, webhook

    found: dict[str, Renderer] = {
        ContactKind.EMAIL: email.render,
        ContactKind.SLACK: slack.render,
        ContactKind.WEBHOOK: webhook.render,
        ContactKind.PAGERDUTY: pagerduty.render,
    }
    found.update(_phone_renderers())
    return found


def _phone_renderers() -> dict[str, Renderer]:
    try:
        from oncall.contacts.channels import sms, voice
    except ImportError:
        return {}
    return {"sms": sms.render, "voice": voice.render}


def render(contact_method: ContactMethod, message: Message) -> Rendered:
    renderer = renderers().get(contact_method.kind)
    if renderer is None:
        raise DeliveryError(f"Unknown contact method kind {contact_method.kind!r}.")
    return renderer(contact_method, message)
