"""The one shape every integration's input is turned into before ingestion, and the
helpers every parser shares: the event actions, dedup keys (derived for events that carry
none, hashed when too long for the column), strict JSON decoding and the check for text
PostgreSQL cannot store. Pure: no database access."""

import hashlib
import json
import math
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


class NonFiniteNumber(ValueError):
    """``NaN``, ``Infinity`` or a number beyond a float's range: not storable as JSON."""


def _refuse_constant(name: str) -> Any:
    raise NonFiniteNumber(f"{name} is not a JSON number.")


def _finite_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise NonFiniteNumber(f"The number {text[:40]} is too large.")
    return number


def json_decode(raw: bytes | str) -> Any:
    """Strict JSON: ``NaN``, ``Infinity`` and numbers too large for a float (``1e999``)
    are refused (``ValueError``), as PostgreSQL's jsonb refuses them."""
    return json.loads(raw, parse_constant=_refuse_constant, parse_float=_finite_float)


def _unstorable(text: str) -> str | None:
    if "\x00" in text:
        return "a NUL character (\\u0000)"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "a lone surrogate (such as \\ud800), which is not valid Unicode"
    return None


def unstorable_text(value: Any) -> str | None:
    """What makes a decoded JSON document unstorable in PostgreSQL's text and jsonb, as
    "'<path>' contains …" — a NUL character or a lone surrogate in a key or a string — or
    None. Iterative, so any depth the decoder accepted is walked without recursion."""
    pending: list[tuple[Any, str]] = [(value, "")]
    while pending:
        item, where = pending.pop()
        if isinstance(item, str):
            problem = _unstorable(item)
            if problem:
                return f"'{where or '(document)'}' contains {problem}."
        elif isinstance(item, dict):
            for key, child in item.items():
                child_path = f"{where}.{key}" if where else str(key)
                problem = _unstorable(str(key))
                if problem:
                    return f"'{child_path}' contains {problem}."
                pending.append((child, child_path))
        elif isinstance(item, list):
            pending.extend((child, f"{where}[{index}]") for index, child in enumerate(item))
    return None
