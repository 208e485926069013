"""The one shape every integration's input is turned into before ingestion, and the
helpers every parser shares: the event actions, dedup keys (derived for events that carry
none, hashed when too long for the column) and the size limit of an event. Pure: no
database access (strict JSON decoding lives in ``common.jsontext``)."""

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

TRIGGER = "trigger"
ACKNOWLEDGE = "acknowledge"
RESOLVE = "resolve"
ACTIONS = (TRIGGER, ACKNOWLEDGE, RESOLVE)

MAX_DEDUP_KEY = 255


@dataclass(frozen=True)
class NormalizedEvent:
    action: str
    dedup_key: str
    payload: dict[str, Any]  # the raw event, stored as received
    summary: str = ""
    source: str = ""
    severity: str = ""  # the source's own severity word ("critical", "page", …)
    name: str = ""  # what a runbook matcher reads, with labels
    labels: dict[str, Any] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)
    timestamp: datetime | None = None


def derived_dedup_key(prefix: str, content: Any) -> str:
    """A stable key for events that carry none, so that a client retrying the same
    event after a timeout joins the first alert instead of opening a second incident."""
    digest = hashlib.sha256(
        json.dumps(content, sort_keys=True, default=str, separators=(",", ":")).encode()
    ).hexdigest()
    return f"{prefix}{digest[:40]}"


def bounded_dedup_key(prefix: str, key: str) -> str:
    """Keys longer than the column (Alertmanager group keys can be) are hashed."""
    if len(key) <= MAX_DEDUP_KEY:
        return key
    return f"{prefix}{hashlib.sha256(key.encode()).hexdigest()}"


# PagerDuty documents 512 KB as the largest event it accepts.
MAX_EVENT_BYTES = 512 * 1024
