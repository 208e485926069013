"""Transports: the only code that talks to the outside world. Each is a function
``send(envelope) -> provider id`` that raises ``TransportError`` on failure and finishes
by ``envelope.deadline`` (connect and every read together; see ``outbox.deadline``).
Transports know nothing about incidents: the content is rendered by the message's
purpose before the send."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


class TransportError(Exception):
    """The send failed. ``permanent``: retrying cannot help (a refused address, a 4xx
    other than 408/429); ``retry_after``: seconds the receiver asked us to wait."""

    def __init__(
        self, message: str, *, permanent: bool = False, retry_after: float | None = None
    ) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.retry_after = retry_after


@dataclass(frozen=True)
class Envelope:
    """One attempt at one message: where to, what, under which idempotency key, by when
    (a ``time.monotonic()`` instant)."""

    key: str
    address: str
    content: dict[str, Any]
    deadline: float
    extra_headers: dict[str, str] = field(default_factory=dict)

    def remaining(self) -> float:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise TransportError("Out of time before the request could be sent.")
        return left


Sender = Callable[[Envelope], str]
_SENDERS: dict[str, Sender] = {}


def transport_register(name: str, sender: Sender) -> None:
    _SENDERS[name] = sender


def transport_for(name: str) -> Sender:
    _load_builtin()
    try:
        return _SENDERS[name]
    except KeyError:
        raise TransportError(f"No transport named {name!r}.", permanent=True) from None


def http_failure(status: int, retry_after: str | None = None) -> TransportError:
    """The error for an HTTP answer outside 2xx: 408, 429 and 5xx are worth retrying."""
    seconds: float | None = None
    if retry_after:
        try:
            seconds = max(0.0, float(retry_after))
        except ValueError:
            seconds = None
    temporary = status in (408, 425, 429) or status >= 500
    return TransportError(
        f"HTTP {status} from the receiver.", permanent=not temporary, retry_after=seconds
    )


def _load_builtin() -> None:
    if _SENDERS:
        return
    from outbox.transports import email, pagerduty, slack, webhook

    transport_register("email", email.send)
    transport_register("slack", slack.send)
    transport_register("webhook", webhook.send)
    transport_register("pagerduty", pagerduty.send)
    try:
        from outbox.transports import twilio
    except ImportError:  # pragma: no cover - the twilio transport is optional
        return
    transport_register("sms", twilio.send_sms)
    transport_register("voice", twilio.send_voice)
