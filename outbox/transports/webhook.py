"""Webhook: a JSON POST. The body carries the idempotency key as ``id`` and the
``Idempotency-Key`` header repeats it; with a secret, ``X-Tocsin-Signature: sha256=<hex>``
is the HMAC-SHA256 of the exact body bytes, so the key is covered by the signature.

Content: ``{"body": {...}, "secret": "..."}`` (the secret is added when the message is
rendered for sending and never stored in the outbox)."""

import hashlib
import hmac
import json

from outbox.transports import Envelope
from outbox.transports.http import post

SIGNATURE_HEADER = "X-Tocsin-Signature"
IDEMPOTENCY_HEADER = "Idempotency-Key"


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def body_bytes(envelope: Envelope) -> bytes:
    return json.dumps({"id": envelope.key, **envelope.content["body"]}, sort_keys=True).encode()


def send(envelope: Envelope) -> str:
    body = body_bytes(envelope)
    headers = {"Content-Type": "application/json", IDEMPOTENCY_HEADER: envelope.key}
    secret = envelope.content.get("secret") or ""
    if secret:
        headers[SIGNATURE_HEADER] = sign(secret, body)
    post(envelope, envelope.address, body=body, headers=headers)
    return ""
