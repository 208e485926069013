"""One HTTP request under a total deadline: the connect and every read share one budget,
and a receiver that trickles its answer byte by byte is cut off when the budget ends."""

from __future__ import annotations

import time
from typing import Any

import requests

from common.outbound import ForbiddenDestination, outbound_url_require_public
from outbox.transports import Envelope, TransportError, http_failure

USER_AGENT = "Tocsin/1"
MAX_ANSWER_BYTES = 64 * 1024


def post(
    envelope: Envelope,
    url: str,
    *,
    body: bytes,
    headers: dict[str, str],
    guard: bool = True,
) -> requests.Response:
    """POST ``body`` to ``url`` and read the answer, all before ``envelope.deadline``.
    ``guard``: refuse private and local addresses (people type these URLs in)."""
    if guard:
        try:
            outbound_url_require_public(url)
        except ForbiddenDestination as exc:
            raise TransportError(f"Refused: {exc}", permanent=True) from exc
    all_headers = {"User-Agent": USER_AGENT, **headers, **envelope.extra_headers}
    left = envelope.remaining()
    try:
        response = requests.post(
            url,
            data=body,
            headers=all_headers,
            timeout=(min(left, 5.0), left),
            allow_redirects=False,
            stream=True,
        )
    except requests.Timeout as exc:
        raise TransportError(f"The receiver did not answer in time ({exc}).") from exc
    except requests.RequestException as exc:
        raise TransportError(f"Unreachable: {type(exc).__name__}: {exc}") from exc
    try:
        _read_before_deadline(response, envelope.deadline)
    finally:
        response.close()
    if not 200 <= response.status_code < 300:
        raise http_failure(response.status_code, response.headers.get("Retry-After"))
    return response


def _read_before_deadline(response: requests.Response, deadline: float) -> None:
    chunks: list[bytes] = []
    size = 0
    try:
        for chunk in response.iter_content(chunk_size=4096):
            if time.monotonic() > deadline:
                raise TransportError("The receiver did not finish its answer in time.")
            chunks.append(chunk)
            size += len(chunk)
            if size > MAX_ANSWER_BYTES:
                break
    except requests.Timeout as exc:
        raise TransportError(f"The receiver did not finish its answer in time ({exc}).") from exc
    except requests.RequestException as exc:
        raise TransportError(f"Answer cut short: {type(exc).__name__}: {exc}") from exc
    response._content = b"".join(chunks)


def json_of(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None
