"""SMS and voice calls through Twilio's REST API (the ``twilio`` package).

The Twilio client talks through ``DeadlineHttpClient``: ``requests`` with the connect and
read timeouts taken from the time the envelope has left, the answer read only until the
envelope's deadline, and ``api.twilio.com`` (or any ``*.twilio.com`` host the library
picks for a region or edge) replaced by ``TWILIO_API_URL`` when that names another
place (a proxy, the tests' stand-in).

Every request carries the message's idempotency key in ``I-Twilio-Idempotency-Token``.
Twilio documents that header on the requests it sends to webhooks; it does not promise
to fold two creates carrying the same token, so a send repeated after a crash mid-send
may still text or ring twice (delivery is at least once).

SMS content: ``{"text": ...}`` (Twilio's limit of 1,600 characters is applied here).
Voice content: ``{"say": ...}``, spoken once by ``<Say>`` (XML-escaped TwiML).
A 4xx answer (a number Twilio refuses, bad credentials) is permanent, except 408 and
429; 5xx answers and network failures are worth retrying.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit, urlunsplit
from xml.sax.saxutils import escape

import requests
from django.conf import settings
from twilio.base.exceptions import TwilioException
from twilio.http import HttpClient
from twilio.http.response import Response as TwilioResponse
from twilio.rest import Client

from outbox.transports import Envelope, TransportError, http_failure
from outbox.transports.http import USER_AGENT, _read_before_deadline, json_of

logger = logging.getLogger(__name__)

DEFAULT_API_URL = "https://api.twilio.com"
IDEMPOTENCY_HEADER = "I-Twilio-Idempotency-Token"
SMS_MAX_CHARS = 1600
# Twilio takes at most 4,000 characters of TwiML in a Calls create; a page's script is
# far shorter, this keeps a runaway title from making the call fail.
SAY_MAX_CHARS = 1000


class DeadlineHttpClient(HttpClient):
    """The Twilio library's HTTP client for one envelope: every request finishes by the
    envelope's deadline and carries its idempotency key. Remembers the last answer's
    status and body, so a failure can be classified by its HTTP status."""

    def __init__(self, envelope: Envelope, api_url: str) -> None:
        super().__init__(logger, is_async=False)
        self.envelope = envelope
        self.api_url = api_url.rstrip("/")
        self.last_status: int | None = None
        self.last_retry_after: str | None = None
        self.last_body: Any = None

    def rewrite(self, url: str) -> str:
        """``url`` on TWILIO_API_URL when that is not Twilio's own address."""
        if self.api_url == DEFAULT_API_URL:
            return url
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        if parts.scheme != "https" or not (host == "twilio.com" or host.endswith(".twilio.com")):
            return url
        base = urlsplit(self.api_url)
        path = base.path.rstrip("/") + parts.path
        return urlunsplit((base.scheme, base.netloc, path, parts.query, parts.fragment))

    def request(
        self,
        method: str,
        uri: str,
        params: dict[str, object] | None = None,
        data: dict[str, object] | None = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | None = None,
        allow_redirects: bool = False,
    ) -> TwilioResponse:
        left = self.envelope.remaining()
        all_headers = {
            "User-Agent": USER_AGENT,
            **(headers or {}),
            IDEMPOTENCY_HEADER: self.envelope.key,
            **self.envelope.extra_headers,
        }
        try:
            response = requests.request(
                method.upper(),
                self.rewrite(uri),
                params=params,  # type: ignore[arg-type]
                data=data,
                headers=all_headers,
                auth=auth,
                timeout=(min(left, 5.0), left),
                allow_redirects=False,
                stream=True,
            )
        except requests.RequestException as exc:
            raise TransportError(f"Twilio unreachable: {type(exc).__name__}: {exc}") from exc
        try:
            _read_before_deadline(response, self.envelope.deadline)
        finally:
            response.close()
        self.last_status = response.status_code
        self.last_retry_after = response.headers.get("Retry-After")
        self.last_body = json_of(response)
        return TwilioResponse(response.status_code, response.text, response.headers)


def _configured(name: str) -> str:
    value = getattr(settings, name, "")
    if not value:
        raise TransportError(f"{name} is not configured.", permanent=True)
    return str(value)


def _client(envelope: Envelope) -> tuple[Client, DeadlineHttpClient, str]:
    account_sid = _configured("TWILIO_ACCOUNT_SID")
    auth_token = _configured("TWILIO_AUTH_TOKEN")
    from_number = _configured("TWILIO_FROM_NUMBER")
    http = DeadlineHttpClient(envelope, settings.TWILIO_API_URL or DEFAULT_API_URL)
    client = Client(account_sid, auth_token, account_sid, http_client=http)
    return client, http, from_number


def _failure(http: DeadlineHttpClient, exc: TwilioException) -> TransportError:
    if http.last_status is None or http.last_status < 400:
        return TransportError(f"Twilio: {type(exc).__name__}: {exc}")
    by_status = http_failure(http.last_status, http.last_retry_after)
    body = http.last_body if isinstance(http.last_body, dict) else {}
    detail = body.get("message") or body.get("detail") or body.get("title") or "no details"
    code = f" (error {body['code']})" if body.get("code") else ""
    return TransportError(
        f"Twilio answered HTTP {http.last_status}{code}: {detail}",
        permanent=by_status.permanent,
        retry_after=by_status.retry_after,
    )


def _text(envelope: Envelope, name: str) -> str:
    value = str(envelope.content.get(name) or "").strip()
    if not value:
        raise TransportError(f"Nothing to send: the content has no {name!r}.", permanent=True)
    if not envelope.address:
        raise TransportError("No phone number.", permanent=True)
    return value


def send_sms(envelope: Envelope) -> str:
    body = _text(envelope, "text")[:SMS_MAX_CHARS]
    client, http, from_number = _client(envelope)
    try:
        message = client.messages.create(to=envelope.address, from_=from_number, body=body)
    except TwilioException as exc:
        raise _failure(http, exc) from exc
    return str(message.sid or "")


def twiml_say(text: str) -> str:
    return f"<Response><Say>{escape(text[:SAY_MAX_CHARS])}</Say></Response>"


def send_voice(envelope: Envelope) -> str:
    twiml = twiml_say(_text(envelope, "say"))
    client, http, from_number = _client(envelope)
    try:
        call = client.calls.create(to=envelope.address, from_=from_number, twiml=twiml)
    except TwilioException as exc:
        raise _failure(http, exc) from exc
    return str(call.sid or "")
