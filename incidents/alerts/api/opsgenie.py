"""The Opsgenie-compatible endpoints: the Alert API (create, acknowledge, close, add note)
and heartbeat pings, at Opsgenie's paths, so a script or tool written for Opsgenie works by
changing its base URL. They authenticate with ``Authorization: GenieKey <key>``, where the
key is any integration's routing key, and answer in Opsgenie's shapes: 202
``{"result", "took", "requestId"}``, errors ``{"message", "took", "requestId"}`` (401 for a
missing or unknown key, 422 for validation with ``errors`` by field, 404 for an unknown
alert or heartbeat).

Unlike ``/v2/enqueue`` these apply the request before answering (low volume: people's
scripts, cron jobs), through the same ``alert_ingest`` as the keyed webhooks, so the
create answer can carry ``alertId`` next to Opsgenie's fields. Identifiers: ``id`` (the
default) and ``tiny`` are that alertId; ``alias`` is the alias sent on create. A key acts
on its own integration's alerts only. Plain Django views, as ``/v2/enqueue`` is: Opsgenie's
error shape is not our API's.
"""

import re
import uuid
from typing import Any

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from common.errors import DomainError, NotFound, RateLimited
from common.jsontext import NonFiniteNumber, json_decode, unstorable_text
from incidents.alerts.models import Alert, Integration
from incidents.alerts.parsers import opsgenie
from incidents.alerts.parsers.events import ACKNOWLEDGE, MAX_EVENT_BYTES, RESOLVE
from incidents.alerts.services.heartbeats import heartbeat_ping
from incidents.alerts.services.ingest import alert_ingest
from incidents.alerts.services.integrations import integration_by_routing_key
from incidents.alerts.services.ratelimit import ingest_rate_check
from incidents.services import incident_add_note

_GENIE_KEY = re.compile(r"^\s*GenieKey\s+(\S+)\s*$", re.IGNORECASE)
_PROCESSED = "Request will be processed"


class _Refused(Exception):
    """An answer in Opsgenie's error shape, raised from the helpers below."""

    def __init__(self, status: int, message: str, errors: dict[str, str] | None = None) -> None:
        self.status = status
        self.message = message
        self.errors = errors
        super().__init__(message)


def _answer(status: int, body: dict[str, Any]) -> JsonResponse:
    return JsonResponse({**body, "took": 0.0, "requestId": str(uuid.uuid4())}, status=status)


def _refusal(exc: _Refused) -> JsonResponse:
    body: dict[str, Any] = {"message": exc.message}
    if exc.errors:
        body["errors"] = exc.errors
    response = _answer(exc.status, body)
    if exc.status == 405:
        response["Allow"] = "POST"
    return response


def _integration(request: HttpRequest) -> Integration:
    match = _GENIE_KEY.match(request.META.get("HTTP_AUTHORIZATION", ""))
    if match is None:
        raise _Refused(401, "Key format is not valid! Send 'Authorization: GenieKey <key>'.")
    integration = integration_by_routing_key(match.group(1))
    if integration is None:
        raise _Refused(401, "Could not authenticate: no enabled integration has this key.")
    try:
        ingest_rate_check(integration=integration)
    except RateLimited as exc:
        raise _Refused(429, exc.detail) from None
    return integration


def _body(request: HttpRequest) -> Any:
    """The JSON body (None when empty), strictly decoded: no NaN, nothing PostgreSQL
    cannot store, at most 512 KB."""
    declared = request.META.get("CONTENT_LENGTH") or "0"
    if not declared.isdigit() or int(declared) > MAX_EVENT_BYTES:
        raise _Refused(413, f"Request body is larger than {MAX_EVENT_BYTES // 1024} KB.")
    raw = request.body
    if len(raw) > MAX_EVENT_BYTES:
        raise _Refused(413, f"Request body is larger than {MAX_EVENT_BYTES // 1024} KB.")
    if not raw.strip():
        return None
    try:
        body = json_decode(raw)
    except NonFiniteNumber as exc:
        raise _Refused(422, "Request body is not processable.", {"body": str(exc)}) from None
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise _Refused(400, "Could not parse the request body: it is not valid JSON.") from None
    problem = unstorable_text(body)
    if problem:
        raise _Refused(422, "Request body is not processable.", {"body": problem})
    return body


def _invalid(exc: opsgenie.InvalidRequest) -> _Refused:
    return _Refused(422, "Request body is not processable. Please check the errors.", exc.errors)


def _post_only(request: HttpRequest) -> None:
    if request.method != "POST":
        raise _Refused(405, "Method not allowed: use POST.")


def _alert_of(integration: Integration, identifier: str, identifier_type: str) -> Alert:
    alerts = Alert.objects.filter(integration=integration)
    if identifier_type == "alias":
        alert = (
            alerts.filter(dedup_key=opsgenie.dedup_key_of_alias(identifier))
            .order_by("-is_open", "-id")
            .first()
        )
    else:  # id and tiny: the alertId of the create answer
        alert = alerts.filter(pk=int(identifier)).first() if identifier.isdigit() else None
    if alert is None:
        raise _Refused(404, f"Alert with {identifier_type} [{identifier}] does not exist.")
    return alert


def _note_text(integration: Integration, fields: dict[str, str], note: str) -> str:
    by = fields["user"] or fields["source"]
    return f"{note}\n— {by} via {integration.name}" if by else f"{note}\n— via {integration.name}"


@login_not_required  # Opsgenie clients authenticate with the GenieKey header
@csrf_exempt
def alert_create(request: HttpRequest) -> JsonResponse:
    """``POST /v2/alerts``."""
    try:
        _post_only(request)
        integration = _integration(request)
        try:
            event = opsgenie.parse_create(_body(request))
        except opsgenie.InvalidRequest as exc:
            raise _invalid(exc) from None
        # Only in memory, for this event: Opsgenie's priorities under the integration's
        # own mapping (a "p1"… key there wins).
        integration.severity_mapping = opsgenie.severity_mapping_with_priorities(
            integration.severity_mapping
        )
        try:
            result = alert_ingest(integration=integration, event=event)
        except DomainError as exc:
            raise _Refused(exc.status_code, exc.detail) from None
    except _Refused as exc:
        return _refusal(exc)
    return _answer(
        202,
        {
            "result": _PROCESSED,
            "alertId": str(result.alert_id) if result.alert_id else None,
            "alias": event.payload.get("alias") or event.dedup_key,
        },
    )


@login_not_required
@csrf_exempt
def alert_action(request: HttpRequest, identifier: str, action: str) -> JsonResponse:
    """``POST /v2/alerts/{identifier}/acknowledge|close|notes?identifierType=id|alias|tiny``
    with ``{user, source, note}``. On an alert no longer open, acknowledge and close are
    accepted and change nothing (as a repeat does in Opsgenie)."""
    try:
        if action not in ("acknowledge", "close", "notes"):
            raise _Refused(404, f"Unknown alert action {action!r}.")
        _post_only(request)
        integration = _integration(request)
        try:
            identifier_type = opsgenie.identifier_type_of(request.GET.get("identifierType"))
            fields = opsgenie.parse_action(_body(request))
            if action == "notes" and not fields["note"]:
                raise opsgenie.InvalidRequest({"note": "Note can not be empty."})
        except opsgenie.InvalidRequest as exc:
            raise _invalid(exc) from None
        alert = _alert_of(integration, identifier, identifier_type)
        try:
            if action in ("acknowledge", "close") and alert.is_open:
                alert_ingest(
                    integration=integration,
                    event=opsgenie.action_event(
                        ACKNOWLEDGE if action == "acknowledge" else RESOLVE,
                        dedup_key=alert.dedup_key,
                        body={"action": action, **{k: v for k, v in fields.items() if v}},
                    ),
                )
            if fields["note"]:
                if alert.incident_id is None:
                    raise _Refused(404, "The alert has no incident to add a note to.")
                incident_add_note(
                    incident=alert.incident_id,
                    actor=None,
                    message=_note_text(integration, fields, fields["note"]),
                )
        except NotFound as exc:
            raise _Refused(404, exc.detail) from None
        except DomainError as exc:
            raise _Refused(exc.status_code, exc.detail) from None
    except _Refused as exc:
        return _refusal(exc)
    return _answer(202, {"result": _PROCESSED})


@login_not_required
@csrf_exempt
def heartbeat_ping_view(request: HttpRequest, name: str) -> JsonResponse:
    """``GET|POST /v2/heartbeats/{name}/ping``."""
    try:
        if request.method not in ("GET", "POST"):
            response = _refusal(_Refused(405, "Method not allowed: use GET or POST."))
            response["Allow"] = "GET, POST"
            return response
        integration = _integration(request)
        try:
            heartbeat_ping(integration=integration, name=name)
        except NotFound:
            raise _Refused(404, f"Heartbeat with name [{name}] does not exist.") from None
        except DomainError as exc:
            raise _Refused(exc.status_code, exc.detail) from None
    except _Refused as exc:
        return _refusal(exc)
    return _answer(202, {"result": "PONG - Heartbeat received"})
