"""Generic JSON webhooks: the integration names dotted paths ("alert.title",
"items.0.id") to the title, dedup key, severity and resolve condition. Pure: no database
access."""

from typing import Any

from incidents.alerts.parsers.events import (
    RESOLVE,
    TRIGGER,
    NormalizedEvent,
    bounded_dedup_key,
    derived_dedup_key,
)

_MISSING = object()


def json_path(document: Any, path: str) -> Any:
    """The value at a dotted path, or None. List items are addressed by index."""
    if not path:
        return None
    current = document
    for part in path.split("."):
        if isinstance(current, dict):
            current = current.get(part, _MISSING)
        elif isinstance(current, list) and part.lstrip("-").isdigit():
            index = int(part)
            current = current[index] if -len(current) <= index < len(current) else _MISSING
        else:
            return None
        if current is _MISSING:
            return None
    return current


def json_path_set(document: dict[str, Any], path: str, value: Any) -> None:
    """Put ``value`` at a dotted path, making objects on the way: the writer twin of
    ``json_path`` (a numeric part is an object key here, which ``json_path`` reads too)."""
    parts = path.split(".")
    current = document
    for part in parts[:-1]:
        inner = current.get(part)
        if not isinstance(inner, dict):
            inner = current[part] = {}
        current = inner
    current[parts[-1]] = value


def _text(value: Any) -> str:
    if value is None or isinstance(value, dict | list):
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value).strip()


def parse_webhook(
    body: Any,
    *,
    title_path: str,
    dedup_key_path: str,
    severity_path: str,
    resolve_path: str,
    resolve_value: str,
    fallback_title: str,
) -> NormalizedEvent:
    if not isinstance(body, dict | list):
        body = {"value": body}
    title = _text(json_path(body, title_path)) or fallback_title
    raw_key = _text(json_path(body, dedup_key_path))
    key = bounded_dedup_key("wh:", raw_key) if raw_key else derived_dedup_key("wh:", body)
    resolved = bool(resolve_path) and (
        _text(json_path(body, resolve_path)).lower() == resolve_value.strip().lower()
    )
    return NormalizedEvent(
        action=RESOLVE if resolved else TRIGGER,
        dedup_key=key,
        payload=body if isinstance(body, dict) else {"items": body},
        summary=title[:1024],
        source="webhook",
        severity=_text(json_path(body, severity_path)).lower()[:50],
        name=title[:255],
    )


def parse_webhook_for(integration: Any, body: Any) -> NormalizedEvent:
    """``parse_webhook`` with the JSON paths an integration names (its title, dedup key,
    severity and resolve paths), as its webhook endpoint and its test event read them."""
    return parse_webhook(
        body,
        title_path=integration.title_path,
        dedup_key_path=integration.dedup_key_path,
        severity_path=integration.severity_path,
        resolve_path=integration.resolve_path,
        resolve_value=integration.resolve_value,
        fallback_title=f"Alert from {integration.name}",
    )
