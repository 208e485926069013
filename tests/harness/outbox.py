"""Crashing a sender on purpose: the outbox's at-least-once promise is tried by a sender
that claims a message, sends it, and dies before recording that it did."""

import time

from outbox.models import Message
from outbox.purposes import purpose_for
from outbox.services import messages_claim
from outbox.transports import Envelope, transport_for


def crash_after_sending(message: Message) -> None:
    """Claim ``message``, render and send it as a sender would, and record nothing: its
    lease then expires and the outbox sends it again, under the same key."""
    [claimed] = messages_claim(ids=[message.pk])
    content = purpose_for(claimed.purpose).prepare(claimed)
    transport_for(claimed.transport)(
        Envelope(
            key=claimed.key,
            address=claimed.address,
            content=content,
            deadline=time.monotonic() + 10,
        )
    )
