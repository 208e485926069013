"""The ingestion endpoints monitoring tools call. They authenticate by the routing key
(in the body for the Events API, in the URL for Alertmanager and webhooks), not by a
user, and must stay fast. ``/v2/enqueue`` only stores the event (integration lookup with
the rate-limit count, then one insert) and answers 202, as PagerDuty's "enqueue" does; a
Celery task applies it right after. The keyed webhooks (low volume: Alertmanager sends
one notification per alert group) apply the event before answering, so their answer can
name the incident.

``POST /v2/enqueue`` is wire-compatible with PagerDuty's Events API v2 (same path,
body and answers), so a client built for PagerDuty works by changing its base URL; so
are the Events API v1 (``POST /generic/2010-04-15/create_event.json``, translated to v2
and stored in the same inbox) and Change Events (``POST /v2/change/enqueue``, recorded
at once: a change opens nothing).
It is a plain Django view: PagerDuty's error shape is not our API's, and DRF's request
machinery would only add cost here.
"""

import re
from typing import Any

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import OpenApiTypes, extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.errors import DomainError, InvalidInput, NotFound, RateLimited
from common.jsontext import NonFiniteNumber, json_decode, unstorable_text, unstorable_text_at
from common.parsers import StrictJSONParser
from incidents.alerts.parsers import change_events, events_v1, events_v2
from incidents.alerts.parsers.alertmanager import InvalidPayload, parse_notification
from incidents.alerts.parsers.events import MAX_EVENT_BYTES
from incidents.alerts.parsers.webhook import parse_webhook_for
from incidents.alerts.services.changes import change_event_record
from incidents.alerts.services.inbox import alert_event_receive
from incidents.alerts.services.ingest import alert_ingest
from incidents.alerts.services.integrations import integration_by_routing_key
from incidents.alerts.services.ratelimit import ingest_rate_check

# Text PostgreSQL cannot store can arrive only as an escaped NUL, an escaped surrogate or
# raw surrogate bytes (json accepts them); the document is walked only when one may be there.
_MAYBE_UNSTORABLE = re.compile(rb"\\u(?:0000|[dD][89a-fA-F])|\xed[\xa0-\xbf]")


def _pd_error(message: str, errors: list[str], code: int = 400) -> JsonResponse:
    return JsonResponse(
        {"status": "invalid event", "message": message, "errors": errors}, status=code
    )


def _too_large() -> JsonResponse:
    return _pd_error(
        "Event object is invalid", [f"The event is larger than {MAX_EVENT_BYTES // 1024} KB."], 413
    )


def _event_body(request: HttpRequest) -> Any:
    """The posted JSON document, or the JsonResponse that refuses it (wrong method, too
    large, not strict JSON, text the database cannot store): what every Events API
    endpoint checks first."""
    if request.method != "POST":
        response = _pd_error("Method not allowed", ["Send events with POST."], 405)
        response["Allow"] = "POST"
        return response
    # Refused before the body is read (Django's own limit would answer an HTML 400), and
    # again after, for a body sent without a length.
    declared = request.META.get("CONTENT_LENGTH") or "0"
    if not declared.isdigit() or int(declared) > MAX_EVENT_BYTES:
        return _too_large()
    raw = request.body
    if len(raw) > MAX_EVENT_BYTES:
        return _too_large()
    try:
        body: Any = json_decode(raw)
    except RecursionError:
        return _pd_error("Event object is invalid", ["The body is not valid JSON."])
    except NonFiniteNumber as exc:
        return _pd_error("Event object is invalid", [str(exc)])
    except (ValueError, UnicodeDecodeError):
        return _pd_error("Event object is invalid", ["The body is not valid JSON."])
    if _MAYBE_UNSTORABLE.search(raw):
        problem = unstorable_text(body)
        if problem:
            return _pd_error("Event object is invalid", [problem])
    return body  # a JSON value, never a JsonResponse


def _receive_refused(exc: DomainError) -> JsonResponse:
    """The answer, in PagerDuty's shape, to an event the key or the rate limit refused."""
    if isinstance(exc, NotFound):
        return _pd_error(
            "Unknown routing key",
            [
                "No enabled integration has this routing_key. Use the key shown when the "
                "integration was created or last rotated."
            ],
        )
    if isinstance(exc, RateLimited):
        response = JsonResponse(
            {"status": "throttle event", "message": exc.detail, "errors": []}, status=429
        )
        response["Retry-After"] = str(exc.extra["retry_after"])
        return response
    return _pd_error(exc.detail, [exc.detail], exc.status_code)


@login_not_required  # monitoring tools authenticate with the routing key in the body
@csrf_exempt
def enqueue(request: HttpRequest) -> JsonResponse:
    body = _event_body(request)
    if isinstance(body, JsonResponse):
        return body
    try:
        routing_key = events_v2.routing_key_of(body)
        event = events_v2.parse_event(body)
    except events_v2.InvalidEvent as exc:
        return _pd_error(exc.message, exc.errors)
    try:
        # Stored durably and committed; applied right after by a Celery task.
        alert_event_receive(routing_key=routing_key, event=event)
    except DomainError as exc:
        return _receive_refused(exc)
    return JsonResponse(
        {"status": "success", "message": "Event processed", "dedup_key": event.dedup_key},
        status=202,
    )


@login_not_required  # the service key in the body authenticates
@csrf_exempt
def create_event_v1(request: HttpRequest) -> JsonResponse:
    """PagerDuty's Events API v1: the event is translated to v2 and goes through the
    same inbox as ``/v2/enqueue`` (same deduplication, rate limit and storms); it
    answers 200 with the ``incident_key``, as PagerDuty's v1 does."""
    body = _event_body(request)
    if isinstance(body, JsonResponse):
        return body
    try:
        service_key = events_v1.service_key_of(body)
        event = events_v1.parse_event(body)
    except events_v1.InvalidEvent as exc:
        return _pd_error(exc.message, exc.errors)
    try:
        alert_event_receive(routing_key=service_key, event=event)
    except DomainError as exc:
        return _receive_refused(exc)
    return JsonResponse(
        {"status": "success", "message": "Event processed", "incident_key": event.dedup_key}
    )


@login_not_required  # the routing key in the body authenticates
@csrf_exempt
def change_enqueue(request: HttpRequest) -> JsonResponse:
    """PagerDuty's Change Events: a change is recorded (never an incident) and shown
    with the incidents of the integration's service."""
    body = _event_body(request)
    if isinstance(body, JsonResponse):
        return body
    try:
        routing_key = change_events.routing_key_of(body)
        change = change_events.parse_change_event(body)
    except change_events.InvalidEvent as exc:
        return _pd_error(exc.message, exc.errors)
    try:
        change_event_record(routing_key=routing_key, change=change)
    except DomainError as exc:
        return _receive_refused(exc)
    return JsonResponse({"status": "success", "message": "Change event processed"}, status=202)


@login_not_required
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness, and the trivial endpoint the ingest benchmark compares against."""
    return JsonResponse({"status": "ok"})


class _KeyedIngestView(APIView):
    """Authenticated by the routing key in the URL."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    parser_classes = [StrictJSONParser]

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        found = unstorable_text_at(request.data)
        if found:
            raise InvalidInput(
                "This text cannot be stored.", errors={found[0]: [f"Contains {found[1]}."]}
            )

    def _integration(self, routing_key: str):
        integration = integration_by_routing_key(routing_key)
        if integration is None:
            raise NotFound("No enabled integration has this routing key.")
        return integration

    def _ingest(self, integration, event) -> Response:
        ingest_rate_check(integration=integration)
        result = alert_ingest(integration=integration, event=event)
        return Response(
            {
                "status": "success",
                "dedup_key": result.dedup_key,
                "action": event.action,
                "incident": result.incident_id,
                "deduplicated": result.deduplicated,
            },
            status=status.HTTP_202_ACCEPTED,
        )


class AlertmanagerWebhookView(_KeyedIngestView):
    """Prometheus Alertmanager webhook receiver (payload version 4)."""

    @extend_schema(request=OpenApiTypes.OBJECT, responses={202: OpenApiTypes.OBJECT})
    def post(self, request: Request, routing_key: str) -> Response:
        integration = self._integration(routing_key)
        try:
            event = parse_notification(request.data)
        except InvalidPayload as exc:
            raise InvalidInput("Not an Alertmanager webhook payload.", errors=exc.errors) from None
        return self._ingest(integration, event)


class GenericWebhookView(_KeyedIngestView):
    """Any JSON; the integration names the paths of title, dedup key, severity and the
    resolve condition."""

    @extend_schema(request=OpenApiTypes.OBJECT, responses={202: OpenApiTypes.OBJECT})
    def post(self, request: Request, routing_key: str) -> Response:
        integration = self._integration(routing_key)
        event = parse_webhook_for(integration, request.data)
        return self._ingest(integration, event)
