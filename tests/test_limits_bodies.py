"""Request bodies over their endpoint's limit are a 413 in the shape the endpoint's callers
read, refused before the body is read (common/limits.py)."""

import asyncio
import json

import pytest
from django.core.handlers.asgi import ASGIHandler

from common.limits import (
    API_BODY_BYTES,
    DOCUMENT_BODY_BYTES,
    INGEST_BODY_BYTES,
    WEB_BODY_BYTES,
    body_limit_for,
    body_limits_markdown,
)


def _json_of(size: int) -> bytes:
    """A JSON document of exactly ``size`` bytes."""
    skeleton = json.dumps({"summary": ""}).encode()
    return json.dumps({"summary": "x" * (size - len(skeleton))}).encode()


def test_events_api_answers_in_pagerduty_shape(client, db):
    response = client.post(
        "/v2/enqueue", _json_of(INGEST_BODY_BYTES + 1), content_type="application/json"
    )
    assert response.status_code == 413
    body = response.json()
    assert body["status"] == "invalid event"
    assert body["message"] == "Event object is invalid"
    assert body["errors"] == ["The event is larger than 512 KB."]


def test_change_events_and_v1_answer_in_pagerduty_shape(client, db):
    for path in ("/v2/change/enqueue", "/generic/2010-04-15/create_event.json/"):
        response = client.post(
            path, _json_of(INGEST_BODY_BYTES + 1), content_type="application/json"
        )
        assert response.status_code == 413, path
        assert response.json()["status"] == "invalid event"


def test_opsgenie_paths_answer_in_opsgenie_shape(client, db):
    for path in ("/v2/alerts", "/v2/alerts/abc/close", "/v2/heartbeats/nightly/ping"):
        response = client.post(
            path, _json_of(INGEST_BODY_BYTES + 1), content_type="application/json"
        )
        assert response.status_code == 413, path
        body = response.json()
        assert body["message"] == "Request body is larger than 512 KB."
        assert set(body) == {"message", "took", "requestId"}


def test_api_answers_in_the_api_error_shape(api, member):
    response = api.as_user(member).post(
        "/api/v1/incidents/", _json_of(API_BODY_BYTES + 1), content_type="application/json"
    )
    assert response.status_code == 413
    assert response.json() == {"detail": "The request body is larger than 1 MiB.", "errors": {}}


def test_a_body_at_the_limit_reaches_the_endpoint(api, member):
    # Exactly 1 MiB passes the size check; the endpoint then judges the content.
    response = api.as_user(member).post(
        "/api/v1/incidents/", _json_of(API_BODY_BYTES), content_type="application/json"
    )
    assert response.status_code == 400
    assert "larger than" not in response.json()["detail"]


def test_runbooks_and_postmortems_take_larger_bodies(api, member):
    client = api.as_user(member)
    between = _json_of(API_BODY_BYTES + 1)
    for path in ("/api/v1/runbooks/", "/api/v1/postmortems/"):
        response = client.post(path, between, content_type="application/json")
        assert response.status_code != 413, path
        response = client.post(
            path, _json_of(DOCUMENT_BODY_BYTES + 1), content_type="application/json"
        )
        assert response.status_code == 413, path
        assert response.json()["detail"] == "The request body is larger than 2 MiB."


def test_web_form_gets_a_plain_page(signed_in):
    response = signed_in.post(
        "/incidents/new/",
        {"title": "x" * (WEB_BODY_BYTES + 1)},
    )
    assert response.status_code == 413
    assert response["Content-Type"].startswith("text/html")
    text = response.content.decode()
    assert "too large" in text and "1 MiB" in text
    assert "<script" not in text


def _asgi_post(path: str, body: bytes, chunk: int = 64 * 1024) -> tuple[int, dict, bytes]:
    """POST through the real ASGI handler, with no Content-Length: the body arrives in
    chunks, as a chunked request does."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"testserver"),
            (b"content-type", b"application/json"),
            (b"transfer-encoding", b"chunked"),
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }
    pieces = [body[i : i + chunk] for i in range(0, len(body), chunk)] or [b""]
    incoming = [
        {"type": "http.request", "body": piece, "more_body": index < len(pieces) - 1}
        for index, piece in enumerate(pieces)
    ]
    sent: list[dict] = []

    async def receive():
        if incoming:
            return incoming.pop(0)
        await asyncio.sleep(3600)

    async def send(message):
        sent.append(message)

    asyncio.run(ASGIHandler()(scope, receive, send))
    start = next(m for m in sent if m["type"] == "http.response.start")
    content = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], dict(start["headers"]), content


@pytest.mark.django_db(transaction=True)
def test_chunked_body_without_length_is_refused_by_reading_past_the_limit():
    status, _, content = _asgi_post("/v2/enqueue", _json_of(INGEST_BODY_BYTES + 10))
    assert status == 413
    assert json.loads(content)["errors"] == ["The event is larger than 512 KB."]


@pytest.mark.django_db(transaction=True)
def test_chunked_api_body_is_refused_in_the_api_shape():
    # The API's views have no size check of their own: this 413 is the middleware's.
    status, headers, content = _asgi_post("/api/v1/incidents/", _json_of(API_BODY_BYTES + 10))
    assert status == 413
    assert headers[b"Content-Type"].startswith(b"application/json")
    assert json.loads(content) == {"detail": "The request body is larger than 1 MiB.", "errors": {}}


@pytest.mark.django_db(transaction=True)
def test_chunked_body_under_the_limit_reaches_the_endpoint():
    status, _, content = _asgi_post("/v2/enqueue", b'{"routing_key": "nope"}')
    assert status != 413
    assert b"larger than" not in content


def test_limits_table_names_every_shape():
    assert body_limit_for("/v2/enqueue").shape == "pagerduty"
    assert body_limit_for("/v2/alerts/1/close").shape == "opsgenie"
    assert body_limit_for("/api/v1/integrations/k/alertmanager/").max_bytes == INGEST_BODY_BYTES
    assert body_limit_for("/api/v1/teams/").max_bytes == API_BODY_BYTES
    assert body_limit_for("/runbooks/3/").max_bytes == DOCUMENT_BODY_BYTES
    assert body_limit_for("/incidents/").shape == "html"
    table = body_limits_markdown()
    assert "512 KB" in table and "1 MiB" in table and "2 MiB" in table
