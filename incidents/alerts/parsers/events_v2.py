"""PagerDuty Events API v2, as documented by PagerDuty: validation of an event and its
translation into a NormalizedEvent. Every problem is collected (not just the first) and
goes back to the client in ``errors``, in the order PagerDuty lists them. Pure: no
database access."""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from incidents.alerts.parsers.events import (
    ACTIONS,
    MAX_DEDUP_KEY,
    TRIGGER,
    NormalizedEvent,
    derived_dedup_key,
)

SEVERITIES = ("critical", "error", "warning", "info")
MAX_SUMMARY = 1024
MAX_SOURCE = 255
OPTIONAL_STRINGS = ("component", "group", "class")


class InvalidEvent(Exception):
    def __init__(self, message: str, errors: list[str]) -> None:
        self.message = message
        self.errors = errors
        super().__init__(f"{message}: {'; '.join(errors)}")


def _nonblank_string(value: Any) -> bool:
    return isinstance(value, str) and value.strip() != ""


def _parse_timestamp(value: str) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def routing_key_of(body: Any) -> str:
    """The routing key, or InvalidEvent when it is missing (checked before the rest so
    that an unknown key gets its own clear message)."""
    if not isinstance(body, dict):
        raise InvalidEvent("Event object is invalid", ["The event must be a JSON object."])
    key = body.get("routing_key")
    if not _nonblank_string(key):
        raise InvalidEvent(
            "Event object is invalid", ["'routing_key' is missing or blank; it must be a string."]
        )
    return key.strip()


def parse_event(body: dict[str, Any]) -> NormalizedEvent:
    """The event as a NormalizedEvent, or InvalidEvent listing every problem found."""
    errors: list[str] = []
    action = body.get("event_action")
    if action not in ACTIONS:
        errors.append(
            "'event_action' is missing or invalid; it must be one of trigger, acknowledge, resolve."
        )
    dedup_key = _dedup_key_of(body, action, errors)
    payload = body.get("payload")
    trigger = _trigger_payload_of(payload, errors) if action == TRIGGER else _TriggerPayload()
    errors.extend(_check_list(body, "links", "href"))
    errors.extend(_check_list(body, "images", "src"))
    errors.extend(_check_client(body))
    if errors:
        raise InvalidEvent("Event object is invalid", errors)

    if isinstance(dedup_key, str) and not dedup_key.strip():
        dedup_key = None  # blank is absent: never one shared "" alert for every such event
    if action == TRIGGER and not dedup_key:
        # A trigger without a key: the same payload (whatever its timestamp) is the same
        # alert, so a client's retry joins it.
        dedup_key = derived_dedup_key(
            "ev2:", {k: v for k, v in (payload or {}).items() if k != "timestamp"}
        )
    details = trigger.details
    return NormalizedEvent(
        action=action,
        dedup_key=dedup_key.strip(),
        # The routing key is a secret: it is not kept with the stored event.
        payload={k: v for k, v in body.items() if k != "routing_key"},
        summary=trigger.summary.strip(),
        source=trigger.source.strip(),
        severity=trigger.severity,
        name=details.get("class") or "",
        labels={k: v for k, v in details.items() if k in OPTIONAL_STRINGS},
        details=details,
        timestamp=trigger.timestamp,
    )


def _dedup_key_of(body: dict[str, Any], action: Any, errors: list[str]) -> Any:
    """The event's own dedup key, if valid (None otherwise); required except to trigger."""
    dedup_key = body.get("dedup_key")
    if dedup_key is not None and not isinstance(dedup_key, str):
        errors.append("'dedup_key' must be a string.")
        dedup_key = None
    elif isinstance(dedup_key, str) and len(dedup_key) > MAX_DEDUP_KEY:
        errors.append(f"'dedup_key' must be at most {MAX_DEDUP_KEY} characters.")
    if action in ACTIONS and action != TRIGGER and not _nonblank_string(dedup_key):
        errors.append(f"'dedup_key' is required for event_action {action}.")
    return dedup_key


@dataclass(frozen=True)
class _TriggerPayload:
    """What a trigger's ``payload`` says (empty for acknowledge and resolve)."""

    summary: str = ""
    source: str = ""
    severity: str = ""
    timestamp: datetime | None = None
    details: dict[str, Any] = field(default_factory=dict)


def _trigger_payload_of(payload: Any, errors: list[str]) -> _TriggerPayload:
    if not isinstance(payload, dict):
        errors.append("'payload' is missing; a trigger event needs a payload object.")
        payload = {}
    summary = _required_text(payload, "summary", MAX_SUMMARY, errors)
    source = _required_text(payload, "source", MAX_SOURCE, errors)
    severity = payload.get("severity")
    if severity not in SEVERITIES:
        errors.append(
            "'payload.severity' is missing or invalid; it must be one of "
            + ", ".join(SEVERITIES)
            + "."
        )
        severity = ""
    timestamp = _timestamp_of(payload, errors)
    details = _details_of(payload, errors)
    return _TriggerPayload(
        summary=summary, source=source, severity=severity, timestamp=timestamp, details=details
    )


def _required_text(payload: dict[str, Any], name: str, limit: int, errors: list[str]) -> str:
    value: Any = payload.get(name)
    if not _nonblank_string(value):
        errors.append(f"'payload.{name}' is missing or blank.")
        return ""
    if len(value) > limit:
        errors.append(f"'payload.{name}' must be at most {limit} characters.")
    return value


def _timestamp_of(payload: dict[str, Any], errors: list[str]) -> datetime | None:
    raw = payload.get("timestamp")
    if raw is None:
        return None
    parsed = _parse_timestamp(raw) if isinstance(raw, str) else None
    if parsed is None:
        errors.append("'payload.timestamp' must be an ISO 8601 date-time with a zone.")
    return parsed


def _details_of(payload: dict[str, Any], errors: list[str]) -> dict[str, Any]:
    """The optional strings (component, group, class) and ``custom_details``."""
    details: dict[str, Any] = {}
    for name in OPTIONAL_STRINGS:
        value = payload.get(name)
        if value is not None and not isinstance(value, str):
            errors.append(f"'payload.{name}' must be a string.")
        elif value:
            details[name] = value
    if "custom_details" in payload:
        details["custom_details"] = payload["custom_details"]
    return details


def _check_client(body: dict[str, Any]) -> list[str]:
    return [
        f"'{name}' must be a string."
        for name in ("client", "client_url")
        if body.get(name) is not None and not isinstance(body.get(name), str)
    ]


def _check_list(body: dict[str, Any], name: str, required: str) -> list[str]:
    value = body.get(name)
    if value is None:
        return []
    if not isinstance(value, list):
        return [f"'{name}' must be a list."]
    errors = []
    for index, item in enumerate(value):
        if not isinstance(item, dict) or not _nonblank_string(item.get(required)):
            errors.append(f"'{name}[{index}]' must be an object with a string '{required}'.")
    return errors
