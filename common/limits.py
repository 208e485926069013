"""Size limits in one place: how large a request body each endpoint takes, and how long
each kind of text may be.

A body over its endpoint's limit is refused before it is read — by its Content-Length,
or, for a body sent without one (chunked), by reading at most one byte past the limit —
with a 413 in the shape the endpoint's callers understand: the API's
``{"detail": ..., "errors": {}}``, PagerDuty's for the Events API, Opsgenie's for its
paths, a plain page for web forms. ``body_limits_markdown`` prints the table for the
README's Limits section.
"""

import io
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.html import escape

from common.errors import InvalidInput

KIB = 1024
MIB = 1024 * KIB

# --- text lengths (characters) ----------------------------------------------------------
# By meaning: a name or title is one line; a message a few paragraphs; a document
# (a postmortem section, a runbook) a long Markdown text. Serializers declare these as
# max_length (so the schema shows them) and the services check the big ones again, since
# the web forms and the admin do not go through the serializers.
NAME_LENGTH = 255
SHORT_TEXT_LENGTH = 1_000
DESCRIPTION_LENGTH = 2_000
MESSAGE_LENGTH = 5_000
# Timeline notes and status updates (what their serializers have always allowed).
NOTE_LENGTH = 10_000
INCIDENT_TEXT_LENGTH = 20_000
POSTMORTEM_SECTION_LENGTH = 50_000
RUNBOOK_TITLE_LENGTH = 200
RUNBOOK_BODY_LENGTH = 200_000


def text_require_bounded(*, limits: Mapping[str, int], texts: Mapping[str, Any]) -> None:
    """Refuse any of ``texts`` longer than its limit in ``limits``, naming each field (the
    same check the serializers make, for callers that do not pass through one)."""
    errors = {
        name: [f"At most {limits[name]:,} characters (this has {len(text):,})."]
        for name, text in texts.items()
        if name in limits and isinstance(text, str) and len(text) > limits[name]
    }
    if errors:
        raise InvalidInput("The text is too long.", errors=errors)


# --- request bodies (bytes) -------------------------------------------------------------
# PagerDuty documents 512 KB for an event; the ingest endpoints keep the same figure.
INGEST_BODY_BYTES = 512 * KIB
API_BODY_BYTES = 1 * MIB
WEB_BODY_BYTES = 1 * MIB
# Room for a runbook (200,000 characters) or a postmortem's sections as JSON or as a
# form, and under Django's DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB), which would refuse
# anything larger with a 400.
DOCUMENT_BODY_BYTES = 2 * MIB

SHAPE_API = "api"
SHAPE_PAGERDUTY = "pagerduty"
SHAPE_OPSGENIE = "opsgenie"
SHAPE_HTML = "html"


@dataclass(frozen=True)
class BodyLimit:
    pattern: re.Pattern[str]
    max_bytes: int
    shape: str
    description: str


def _limit(pattern: str, max_bytes: int, shape: str, description: str) -> BodyLimit:
    return BodyLimit(re.compile(pattern), max_bytes, shape, description)


# First match wins; the last rows are the defaults.
BODY_LIMITS: tuple[BodyLimit, ...] = (
    _limit(
        r"^/(v2/enqueue|v2/change/enqueue|generic/2010-04-15/create_event\.json)/?$",
        INGEST_BODY_BYTES,
        SHAPE_PAGERDUTY,
        "PagerDuty Events API v2, v1 and Change Events",
    ),
    _limit(
        r"^/v2/(alerts|heartbeats)(/|$)", INGEST_BODY_BYTES, SHAPE_OPSGENIE, "Opsgenie Alert API"
    ),
    _limit(
        r"^/api/v1/integrations/[^/]+/(alertmanager|webhook)/$",
        INGEST_BODY_BYTES,
        SHAPE_API,
        "Alertmanager and generic webhooks",
    ),
    _limit(
        r"^/api/v1/(runbooks|postmortems)(/|$)",
        DOCUMENT_BODY_BYTES,
        SHAPE_API,
        "runbooks and postmortems (API)",
    ),
    _limit(r"^/api/", API_BODY_BYTES, SHAPE_API, "the rest of the API"),
    _limit(
        r"^/(runbooks|postmortems|imports|admin)(/|$)",
        DOCUMENT_BODY_BYTES,
        SHAPE_HTML,
        "runbook, postmortem and import pages, the admin",
    ),
    _limit(r"", WEB_BODY_BYTES, SHAPE_HTML, "every other page"),
)


def body_limit_for(path: str) -> BodyLimit:
    """The limit row for a request path (the last row matches every path)."""
    for row in BODY_LIMITS:
        if row.pattern.search(path):
            return row
    return BODY_LIMITS[-1]


def _size(max_bytes: int) -> str:
    if max_bytes % MIB == 0:
        return f"{max_bytes // MIB} MiB"
    return f"{max_bytes // KIB} KB"


def too_large_response(limit: BodyLimit) -> HttpResponse:
    """The 413 for a body over ``limit``, in the shape of the endpoint's callers."""
    size = _size(limit.max_bytes)
    message = f"The request body is larger than {size}."
    # The ingest endpoints keep the words their own checks have always answered with.
    if limit.shape == SHAPE_PAGERDUTY:
        return JsonResponse(
            {
                "status": "invalid event",
                "message": "Event object is invalid",
                "errors": [f"The event is larger than {size}."],
            },
            status=413,
        )
    if limit.shape == SHAPE_OPSGENIE:
        return JsonResponse(
            {
                "message": f"Request body is larger than {size}.",
                "took": 0.0,
                "requestId": str(uuid.uuid4()),
            },
            status=413,
        )
    if limit.shape == SHAPE_API:
        return JsonResponse({"detail": message, "errors": {}}, status=413)
    page = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        "<title>Too large</title></head><body><h1>That was too large to send</h1>"
        f"<p>{escape(message)} Shorten the text and try again.</p></body></html>"
    )
    return HttpResponse(page, status=413, content_type="text/html; charset=utf-8")


def _declared_length(request: HttpRequest) -> int | None:
    raw = request.META.get("CONTENT_LENGTH")
    if raw in (None, ""):
        return None
    try:
        return max(int(raw), 0)
    except ValueError:
        return None


def _is_chunked(request: HttpRequest) -> bool:
    encoding = request.META.get("HTTP_TRANSFER_ENCODING", "")
    return "chunked" in encoding.lower()


class RequestBodyLimitMiddleware:
    """Refuses a body over the endpoint's limit (``BODY_LIMITS``) with a 413, before the
    view reads it. Near the top of the middleware list (after the CSP header is set up),
    so neither the session nor the user is loaded for it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = body_limit_for(request.path_info)
        declared = _declared_length(request)
        if declared is not None and declared > limit.max_bytes:
            return too_large_response(limit)
        if (declared is None or _is_chunked(request)) and hasattr(request, "_stream"):
            # No length to trust: read at most one byte past the limit, and let the view
            # read what was read.
            stream: Any = request._stream
            head = stream.read(limit.max_bytes + 1)
            if len(head) > limit.max_bytes:
                return too_large_response(limit)
            request._stream = io.BytesIO(head)
            if head:
                request.META["CONTENT_LENGTH"] = str(len(head))
        return self.get_response(request)


def body_limits_markdown() -> str:
    """The table as Markdown, for the schema's description and the docs."""
    lines = ["| Endpoints | Largest body | 413 answered as |", "|---|---|---|"]
    for row in BODY_LIMITS:
        lines.append(f"| {row.description} | {_size(row.max_bytes)} | {row.shape} |")
    return "\n".join(lines)
