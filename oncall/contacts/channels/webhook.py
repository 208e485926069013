"""Generic webhook: a JSON POST with ``X-Tocsin-Signature: sha256=<hex>``, the HMAC-SHA256
of the exact body bytes under the contact method's secret."""

import hashlib
import hmac
import json

import requests
from django.conf import settings

from common.outbound import ForbiddenDestination, outbound_url_require_public
from oncall.contacts.channels import DeliveryError, Message
from oncall.contacts.models import ContactMethod

SIGNATURE_HEADER = "X-Tocsin-Signature"


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def payload(message: Message) -> dict:
    return {
        "type": "page",
        "recipient": message.recipient_username,
        "subject": message.subject,
        "incidents": [
            {
                "id": item.incident_id,
                "reference": item.reference,
                "title": item.title,
                "severity": item.severity,
                "status": item.status,
                "url": item.url,
                "acknowledge_url": item.ack_url,
                "level": item.level,
            }
            for item in message.items
        ],
    }


def send(contact_method: ContactMethod, message: Message) -> None:
    try:
        outbound_url_require_public(contact_method.address)
    except ForbiddenDestination as exc:
        raise DeliveryError(f"Webhook refused: {exc}") from exc
    body = json.dumps(payload(message), sort_keys=True).encode()
    headers = {"Content-Type": "application/json", "User-Agent": "Tocsin-Pager/1"}
    if contact_method.secret:
        headers[SIGNATURE_HEADER] = sign(contact_method.secret, body)
    try:
        response = requests.post(
            contact_method.address,
            data=body,
            headers=headers,
            timeout=settings.PAGING_HTTP_TIMEOUT_SECONDS,
            allow_redirects=False,
        )
    except requests.RequestException as exc:
        raise DeliveryError(f"Webhook unreachable: {exc}") from exc
    if not 200 <= response.status_code < 300:
        raise DeliveryError(f"Webhook answered HTTP {response.status_code}.")
