"""PagerDuty Events API v2: one event per item of the content, each with its own
``dedup_key`` (stable per incident, so PagerDuty folds repeats together); the address
is the routing key.

Content: ``{"events": [{"summary", "severity", "dedup_key", "custom_details", "links",
"event_action", "component"}]}``: ``event_action`` is trigger (the default), acknowledge or
resolve; the other fields belong to a trigger (``component``, the affected part, is
optional)."""

import json

from django.conf import settings

from outbox.transports import Envelope, TransportError
from outbox.transports.http import json_of, post


def send(envelope: Envelope) -> str:
    keys = []
    for event in envelope.content.get("events", []):
        body = {
            "routing_key": envelope.address,
            "event_action": event.get("event_action", "trigger"),
            "dedup_key": event.get("dedup_key") or envelope.key,
        }
        if body["event_action"] == "trigger":
            body["payload"] = {
                "summary": event["summary"][:1024],
                "source": "tocsin",
                "severity": event.get("severity", "critical"),
                "custom_details": event.get("custom_details", {}),
            }
            if event.get("component"):
                body["payload"]["component"] = str(event["component"])[:255]
            body["links"] = event.get("links", [])
        response = post(
            envelope,
            settings.PAGERDUTY_EVENTS_URL.rstrip("/") + "/v2/enqueue",
            body=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
            guard=False,
        )
        answer = json_of(response) or {}
        keys.append(str(answer.get("dedup_key", body["dedup_key"])))
    if not keys:
        raise TransportError("Nothing to send to PagerDuty.", permanent=True)
    return ",".join(keys)[:200]
