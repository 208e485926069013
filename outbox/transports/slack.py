"""Slack: an incoming webhook (the address is its URL) or ``chat.postMessage`` with the
bot token (the address is a user id for a DM, or a channel id). Slack has no
idempotency key of its own; the key travels in the message metadata where the API
takes it, so a repeat after a crash can be recognised.

Content: ``{"text": ..., "blocks": optional}``."""

import json

from django.conf import settings

from outbox.transports import Envelope, TransportError
from outbox.transports.http import json_of, post


def send(envelope: Envelope) -> str:
    address = envelope.address.strip()
    content = {"text": envelope.content.get("text", "")}
    if envelope.content.get("blocks"):
        content["blocks"] = envelope.content["blocks"]
    if address.startswith(("https://", "http://")):
        post(
            envelope,
            address,
            body=json.dumps(content).encode(),
            headers={"Content-Type": "application/json"},
        )
        return ""
    if not settings.SLACK_BOT_TOKEN:
        raise TransportError("SLACK_BOT_TOKEN is not configured.", permanent=True)
    body = {
        "channel": address,
        **content,
        "metadata": {"event_type": "tocsin_message", "event_payload": {"key": envelope.key}},
    }
    response = post(
        envelope,
        settings.SLACK_API_URL.rstrip("/") + "/chat.postMessage",
        body=json.dumps(body).encode(),
        headers={
            "Content-Type": "application/json; charset=utf-8",
            "Authorization": f"Bearer {settings.SLACK_BOT_TOKEN}",
        },
        guard=False,
    )
    answer = json_of(response) or {}
    if not answer.get("ok"):
        error = answer.get("error", "no answer")
        raise TransportError(
            f"Slack: {error}", permanent=error not in ("ratelimited", "internal_error")
        )
    return str(answer.get("ts", ""))
