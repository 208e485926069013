"""The Opsgenie Alert API, as Opsgenie documents it: validation of a create-alert request
and of the body of acknowledge, close and add-note, and their translation into a
NormalizedEvent. Every problem is collected and goes back in ``errors`` (field → message,
as Opsgenie answers a 422). Pure: no database access."""

from typing import Any

from incidents.alerts.parsers.events import (
    ACKNOWLEDGE,
    RESOLVE,
    TRIGGER,
    NormalizedEvent,
    bounded_dedup_key,
    derived_dedup_key,
)

# Opsgenie's documented limits.
MAX_MESSAGE = 130
MAX_ALIAS = 512
MAX_DESCRIPTION = 15000
MAX_SOURCE = 100
MAX_ENTITY = 512
MAX_USER = 100
MAX_NOTE = 25000
MAX_TAGS = 20
MAX_TAG = 50
MAX_DETAILS = 8000  # characters of all keys and values together

PRIORITIES = ("P1", "P2", "P3", "P4", "P5")
# Opsgenie's priorities as Tocsin severities, used for a priority the integration's own
# severity_mapping does not name (a mapping with "p1"… keys wins).
PRIORITY_SEVERITIES: dict[str, str] = {
    "p1": "SEV1",
    "p2": "SEV2",
    "p3": "SEV3",
    "p4": "SEV4",
    "p5": "SEV4",
}
DEFAULT_PRIORITY = "P3"  # Opsgenie's default

IDENTIFIER_TYPES = ("id", "alias", "tiny")

# Dedup keys of Opsgenie aliases (and keys derived for alerts without one) carry this prefix
# only when hashed or derived: an alias that fits the column is the key as sent.
KEY_PREFIX = "og:"


class InvalidRequest(Exception):
    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))


def dedup_key_of_alias(alias: str) -> str:
    """The dedup key an alias is stored under (hashed when longer than the column)."""
    return bounded_dedup_key(KEY_PREFIX, alias.strip())


def severity_mapping_with_priorities(mapping: dict[str, str] | None) -> dict[str, str]:
    """The integration's mapping, with Opsgenie's priorities added where it names none."""
    return {**PRIORITY_SEVERITIES, **(mapping or {})}


def _text(
    body: dict[str, Any], name: str, limit: int, errors: dict[str, str], *, required: bool = False
) -> str:
    value = body.get(name)
    if value is None:
        if required:
            errors[name] = f"{name.capitalize()} can not be empty."
        return ""
    if not isinstance(value, str):
        errors[name] = f"{name.capitalize()} must be a string."
        return ""
    if required and not value.strip():
        errors[name] = f"{name.capitalize()} can not be empty."
    elif len(value) > limit:
        errors[name] = f"{name.capitalize()} can not be longer than {limit} characters."
    return value.strip()


def _tags_of(body: dict[str, Any], errors: dict[str, str]) -> list[str]:
    tags = body.get("tags")
    if tags is None:
        return []
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        errors["tags"] = "Tags must be a list of strings."
        return []
    if len(tags) > MAX_TAGS or any(len(t) > MAX_TAG for t in tags):
        errors["tags"] = f"At most {MAX_TAGS} tags of at most {MAX_TAG} characters."
    return [t.strip() for t in tags if t.strip()]


def _details_of(body: dict[str, Any], errors: dict[str, str]) -> dict[str, str]:
    details = body.get("details")
    if details is None:
        return {}
    if not isinstance(details, dict) or not all(isinstance(v, str) for v in details.values()):
        errors["details"] = "Details must be an object of string values."
        return {}
    if sum(len(k) + len(v) for k, v in details.items()) > MAX_DETAILS:
        errors["details"] = f"Details can not be longer than {MAX_DETAILS} characters in total."
    return details


def parse_create(body: Any) -> NormalizedEvent:
    """``POST /v2/alerts`` as a trigger event, or InvalidRequest listing every problem."""
    if not isinstance(body, dict):
        raise InvalidRequest({"body": "The request body must be a JSON object."})
    errors: dict[str, str] = {}
    message = _text(body, "message", MAX_MESSAGE, errors, required=True)
    alias = _text(body, "alias", MAX_ALIAS, errors)
    description = _text(body, "description", MAX_DESCRIPTION, errors)
    source = _text(body, "source", MAX_SOURCE, errors)
    entity = _text(body, "entity", MAX_ENTITY, errors)
    _text(body, "user", MAX_USER, errors)
    _text(body, "note", MAX_NOTE, errors)
    priority = body.get("priority", DEFAULT_PRIORITY)
    if priority not in PRIORITIES:
        errors["priority"] = "Priority should be one of " + ", ".join(PRIORITIES) + "."
    tags = _tags_of(body, errors)
    details = _details_of(body, errors)
    if errors:
        raise InvalidRequest(errors)

    if alias:
        dedup_key = dedup_key_of_alias(alias)
    else:
        # Without an alias the same request is the same alert, so a client's retry after
        # a timeout joins it instead of opening a second incident.
        dedup_key = derived_dedup_key(
            KEY_PREFIX,
            {k: body.get(k) for k in ("message", "description", "entity", "source", "details")},
        )
    extra: dict[str, Any] = {}
    if description:
        extra["description"] = description
    if entity:
        extra["entity"] = entity
    if tags:
        extra["tags"] = tags
    if details:
        extra["details"] = details
    labels: dict[str, Any] = {"priority": priority}
    if entity:
        labels["entity"] = entity
    if tags:
        labels["tags"] = ",".join(tags)
    return NormalizedEvent(
        action=TRIGGER,
        dedup_key=dedup_key,
        payload=body,
        summary=message,
        source=source,
        severity=priority,
        name=entity or message,
        labels=labels,
        details=extra,
    )


def parse_action(body: Any) -> dict[str, str]:
    """The ``{user, source, note}`` body of acknowledge, close and add-note (all
    optional here; add-note checks its note), or InvalidRequest."""
    if body is None:
        body = {}
    if not isinstance(body, dict):
        raise InvalidRequest({"body": "The request body must be a JSON object."})
    errors: dict[str, str] = {}
    fields = {
        "user": _text(body, "user", MAX_USER, errors),
        "source": _text(body, "source", MAX_SOURCE, errors),
        "note": _text(body, "note", MAX_NOTE, errors),
    }
    if errors:
        raise InvalidRequest(errors)
    return fields


def action_event(action: str, *, dedup_key: str, body: dict[str, Any]) -> NormalizedEvent:
    """An acknowledge or resolve event for the alert with that dedup key."""
    if action not in (ACKNOWLEDGE, RESOLVE):
        raise ValueError(action)
    return NormalizedEvent(action=action, dedup_key=dedup_key, payload=body)


def identifier_type_of(value: str | None) -> str:
    """The ``identifierType`` query parameter (Opsgenie's default is ``id``)."""
    kind = (value or "id").strip().lower()
    if kind not in IDENTIFIER_TYPES:
        raise InvalidRequest(
            {"identifierType": "Identifier type should be one of id, alias or tiny."}
        )
    return kind
