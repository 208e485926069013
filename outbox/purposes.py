"""What the outbox asks of the room that wrote a message, by the message's ``purpose``.

``prepare(message)`` renders the content right before a send, outside any transaction
(it may read rows, and write small ones such as a cancelled page); it returns ``None``
when the message is no longer wanted (the incident was acknowledged meanwhile), and
raises ``NotYet`` when it must wait. The default sends the stored ``payload``. ``sent(message)`` and ``failed(message, final)``
hear the outcome, inside the short transaction that records it.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from outbox.models import Message


class NotYet(Exception):
    """Raised by ``prepare``: the message is wanted, but not before ``until`` (a throttle, a
    Slack channel still being created). It is queued again without counting an attempt."""

    def __init__(self, until: datetime.datetime, reason: str = "") -> None:
        super().__init__(reason or f"Not before {until.isoformat()}")
        self.until = until
        self.reason = reason


def _stored(message: Message) -> dict[str, Any] | None:
    return message.payload


@dataclass(frozen=True)
class Purpose:
    name: str
    prepare: Callable[[Message], dict[str, Any] | None] = _stored
    sent: Callable[[Message], None] | None = None
    failed: Callable[[Message, bool], None] | None = None


_PURPOSES: dict[str, Purpose] = {}


def purpose_register(purpose: Purpose) -> None:
    _PURPOSES[purpose.name] = purpose


def purpose_for(name: str) -> Purpose:
    return _PURPOSES.get(name) or Purpose(name)
