"""PagerDuty Change Events (``POST /v2/change/enqueue``): validation of a change event
and what is kept of it. Every problem is collected and goes back in ``errors``, as the
Events API v2 does. Pure: no database access."""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from incidents.alerts.parsers import events_v2

InvalidEvent = events_v2.InvalidEvent
routing_key_of = events_v2.routing_key_of

MAX_SUMMARY = 1024
MAX_SOURCE = 255


@dataclass(frozen=True)
class ChangeEventData:
    summary: str
    source: str = ""
    timestamp: datetime | None = None  # None: when it was received
    links: list[dict[str, str]] = field(default_factory=list)
    custom_details: dict[str, Any] = field(default_factory=dict)


def parse_change_event(body: dict[str, Any]) -> ChangeEventData:
    """The change event, or InvalidEvent listing every problem found."""
    errors: list[str] = []
    payload = body.get("payload")
    if not isinstance(payload, dict):
        errors.append("'payload' is missing; a change event needs a payload object.")
        payload = {}
    summary = payload.get("summary")
    if not isinstance(summary, str) or not summary.strip():
        errors.append("'payload.summary' is missing or blank.")
        summary = ""
    elif len(summary) > MAX_SUMMARY:
        errors.append(f"'payload.summary' must be at most {MAX_SUMMARY} characters.")
    source = payload.get("source")
    if source is not None and not isinstance(source, str):
        errors.append("'payload.source' must be a string.")
        source = ""
    elif isinstance(source, str) and len(source) > MAX_SOURCE:
        errors.append(f"'payload.source' must be at most {MAX_SOURCE} characters.")
    timestamp = events_v2._timestamp_of(payload, errors)
    custom_details = payload.get("custom_details")
    if custom_details is not None and not isinstance(custom_details, dict):
        errors.append("'payload.custom_details' must be an object.")
    errors.extend(events_v2._check_list(body, "links", "href"))
    links = body.get("links") or []
    if isinstance(links, list):
        errors.extend(
            f"'links[{index}].text' must be a string."
            for index, link in enumerate(links)
            if isinstance(link, dict)
            and link.get("text") is not None
            and not isinstance(link.get("text"), str)
        )
    if errors:
        raise InvalidEvent("Event object is invalid", errors)
    return ChangeEventData(
        summary=summary.strip(),
        source=(source or "").strip(),
        timestamp=timestamp,
        links=[
            {"href": link["href"], **({"text": link["text"]} if link.get("text") else {})}
            for link in links
        ],
        custom_details=custom_details or {},
    )
