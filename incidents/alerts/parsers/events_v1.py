"""PagerDuty Events API v1 (``POST /generic/2010-04-15/create_event.json``), the API
older clients and integrations still speak: validation of an event and its translation
into the Events API v2 document it means. Pure: no database access.

The inbox stores what it applies as a v2 document and applies it as ``/v2/enqueue``
does, so a v1 event is translated before it is stored: ``service_key`` is the routing
key, ``event_type`` the action, ``incident_key`` the dedup key, ``description`` the
summary and ``details`` the custom details. v1 has no severity and no source: a trigger
is ``critical`` (mapped by the integration like any other) and its source is the
``client`` (or "Events API v1"); ``contexts`` become v2's ``links`` and ``images``."""

from typing import Any

from incidents.alerts.parsers import events_v2
from incidents.alerts.parsers.events import (
    ACTIONS,
    MAX_DEDUP_KEY,
    TRIGGER,
    NormalizedEvent,
    derived_dedup_key,
)

InvalidEvent = events_v2.InvalidEvent

MAX_DESCRIPTION = 1024
SEVERITY = "critical"
DEFAULT_SOURCE = "Events API v1"


def _nonblank_string(value: Any) -> bool:
    return isinstance(value, str) and value.strip() != ""


def service_key_of(body: Any) -> str:
    """The service key (the integration's routing key), or InvalidEvent when missing."""
    if not isinstance(body, dict):
        raise InvalidEvent("Event object is invalid", ["The event must be a JSON object."])
    key = body.get("service_key")
    if not _nonblank_string(key):
        raise InvalidEvent(
            "Event object is invalid", ["'service_key' is missing or blank; it must be a string."]
        )
    return key.strip()


def parse_event(body: dict[str, Any]) -> NormalizedEvent:
    """The event as the NormalizedEvent of its v2 translation (which is what is stored),
    or InvalidEvent listing every problem found."""
    errors: list[str] = []
    action = body.get("event_type")
    if action not in ACTIONS:
        errors.append(
            "'event_type' is missing or invalid; it must be one of trigger, acknowledge, resolve."
        )
    incident_key = body.get("incident_key")
    if incident_key is not None and not isinstance(incident_key, str):
        errors.append("'incident_key' must be a string.")
        incident_key = None
    elif isinstance(incident_key, str) and len(incident_key) > MAX_DEDUP_KEY:
        errors.append(f"'incident_key' must be at most {MAX_DEDUP_KEY} characters.")
    if action in ACTIONS and action != TRIGGER and not _nonblank_string(incident_key):
        errors.append(f"'incident_key' is required for event_type {action}.")
    description = body.get("description")
    if action == TRIGGER and not _nonblank_string(description):
        errors.append("'description' is missing or blank; a trigger event needs one.")
    elif description is not None and not isinstance(description, str):
        errors.append("'description' must be a string.")
    elif isinstance(description, str) and len(description) > MAX_DESCRIPTION:
        errors.append(f"'description' must be at most {MAX_DESCRIPTION} characters.")
    details = body.get("details")
    if details is not None and not isinstance(details, dict):
        errors.append("'details' must be an object.")
    for name in ("client", "client_url"):
        if body.get(name) is not None and not isinstance(body.get(name), str):
            errors.append(f"'{name}' must be a string.")
    errors.extend(_check_contexts(body.get("contexts")))
    if errors:
        raise InvalidEvent("Event object is invalid", errors)

    event = {k: v for k, v in body.items() if k != "service_key"}  # the key is a secret
    if not (isinstance(incident_key, str) and incident_key.strip()):
        # A trigger without a key: the same event is the same alert, so a retry joins it.
        incident_key = derived_dedup_key("ev1:", event)
    return events_v2.parse_event(_as_v2(event, action, incident_key.strip()))


def _as_v2(event: dict[str, Any], action: str, dedup_key: str) -> dict[str, Any]:
    translated: dict[str, Any] = {"event_action": action, "dedup_key": dedup_key}
    if action == TRIGGER:
        payload: dict[str, Any] = {
            "summary": event["description"].strip(),
            "source": (event.get("client") or "").strip()[: events_v2.MAX_SOURCE] or DEFAULT_SOURCE,
            "severity": SEVERITY,
        }
        if event.get("details") is not None:
            payload["custom_details"] = event["details"]
        translated["payload"] = payload
    for name in ("client", "client_url"):
        if event.get(name) is not None:
            translated[name] = event[name]
    contexts = event.get("contexts") or []
    links = [
        {"href": c["href"], **({"text": c["text"]} if c.get("text") else {})}
        for c in contexts
        if c["type"] == "link"
    ]
    images = [
        {"src": c["src"], **{k: c[k] for k in ("href", "alt") if c.get(k)}}
        for c in contexts
        if c["type"] == "image"
    ]
    if links:
        translated["links"] = links
    if images:
        translated["images"] = images
    return translated


def _check_contexts(contexts: Any) -> list[str]:
    """v1's ``contexts``: links (``href``) and images (``src``), as v2's links and images."""
    if contexts is None:
        return []
    if not isinstance(contexts, list):
        return ["'contexts' must be a list."]
    errors = []
    for index, item in enumerate(contexts):
        kind = item.get("type") if isinstance(item, dict) else None
        required = {"link": "href", "image": "src"}.get(kind) if isinstance(kind, str) else None
        if required is None:
            errors.append(f"'contexts[{index}]' must be an object with type link or image.")
        elif not _nonblank_string(item.get(required)) or any(
            item.get(k) is not None and not isinstance(item.get(k), str)
            for k in ("href", "src", "text", "alt")
        ):
            errors.append(f"'contexts[{index}]' ({kind}) needs a string '{required}'.")
    return errors
