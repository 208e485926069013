"""PagerDuty Events API v2, as documented by PagerDuty: validation of an event and its
translation into a NormalizedEvent. Error texts go back to the client in ``errors``."""

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
    errors: list[str] = []
    action = body.get("event_action")
    if action not in ACTIONS:
        errors.append(
            "'event_action' is missing or invalid; it must be one of trigger, acknowledge, resolve."
        )
    dedup_key = body.get("dedup_key")
    if dedup_key is not None and not isinstance(dedup_key, str):
        errors.append("'dedup_key' must be a string.")
        dedup_key = None
    elif isinstance(dedup_key, str) and len(dedup_key) > MAX_DEDUP_KEY:
        errors.append(f"'dedup_key' must be at most {MAX_DEDUP_KEY} characters.")
    if action in ACTIONS and action != TRIGGER and not _nonblank_string(dedup_key):
        errors.append(f"'dedup_key' is required for event_action {action}.")

    payload = body.get("payload")
    summary = source = severity = ""
    timestamp = None
    details: dict[str, Any] = {}
    if action == TRIGGER:
        if not isinstance(payload, dict):
            errors.append("'payload' is missing; a trigger event needs a payload object.")
            payload = {}
        summary = payload.get("summary")
        if not _nonblank_string(summary):
            errors.append("'payload.summary' is missing or blank.")
            summary = ""
        elif len(summary) > MAX_SUMMARY:
            errors.append(f"'payload.summary' must be at most {MAX_SUMMARY} characters.")
        source = payload.get("source")
        if not _nonblank_string(source):
            errors.append("'payload.source' is missing or blank.")
            source = ""
        elif len(source) > MAX_SOURCE:
            errors.append(f"'payload.source' must be at most {MAX_SOURCE} characters.")
        severity = payload.get("severity")
        if severity not in SEVERITIES:
            errors.append(
                "'payload.severity' is missing or invalid; it must be one of "
                + ", ".join(SEVERITIES)
                + "."
            )
            severity = ""
        raw_timestamp = payload.get("timestamp")
        if raw_timestamp is not None:
            if not isinstance(raw_timestamp, str) or _parse_timestamp(raw_timestamp) is None:
                errors.append("'payload.timestamp' must be an ISO 8601 date-time with a zone.")
            else:
                timestamp = _parse_timestamp(raw_timestamp)
        for name in OPTIONAL_STRINGS:
            value = payload.get(name)
            if value is not None and not isinstance(value, str):
                errors.append(f"'payload.{name}' must be a string.")
            elif value:
                details[name] = value
        if "custom_details" in payload:
            details["custom_details"] = payload["custom_details"]
    errors.extend(_check_list(body, "links", "href"))
    errors.extend(_check_list(body, "images", "src"))
    for name in ("client", "client_url"):
        if body.get(name) is not None and not isinstance(body.get(name), str):
            errors.append(f"'{name}' must be a string.")
    if errors:
        raise InvalidEvent("Event object is invalid", errors)

    if action == TRIGGER and not dedup_key:
        dedup_key = derived_dedup_key(
            "ev2:", {k: v for k, v in (payload or {}).items() if k != "timestamp"}
        )
    labels = {k: v for k, v in details.items() if k in OPTIONAL_STRINGS}
    name = details.get("class") or ""
    return NormalizedEvent(
        action=action,
        dedup_key=dedup_key.strip(),
        # The routing key is a secret: it is not kept with the stored event.
        payload={k: v for k, v in body.items() if k != "routing_key"},
        summary=summary.strip(),
        source=source.strip(),
        severity=severity,
        name=name,
        labels=labels,
        details=details,
        timestamp=timestamp,
    )


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
