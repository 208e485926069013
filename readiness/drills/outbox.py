"""What the outbox asks of drills: the chaos tool's webhooks are signed like webhook
pages, with the drill's secret added at send time (never stored in the outbox)."""

from __future__ import annotations

from typing import Any

from outbox.models import Message
from outbox.purposes import Purpose, purpose_register
from readiness.drills.models import Drill
from readiness.drills.services import ANNOUNCEMENT, FAULT, drill_id_of


def _prepare_fault(message: Message) -> dict[str, Any] | None:
    drill_id = drill_id_of(message.group)
    drill = Drill.objects.filter(pk=drill_id).only("fault_secret").first() if drill_id else None
    if drill is None:
        return None
    return {"body": message.payload.get("body", {}), "secret": drill.fault_secret}


def register() -> None:
    purpose_register(Purpose(FAULT, prepare=_prepare_fault))
    purpose_register(Purpose(ANNOUNCEMENT))
