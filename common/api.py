"""API plumbing shared by every app: pagination, the one error shape
``{"detail": ..., "errors": {field: [...]}}``, strict input serializers, and reading a
request's body and query parameters."""

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from rest_framework import exceptions, serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter
from rest_framework.views import exception_handler as drf_exception_handler

from common.errors import DomainError, InvalidInput


class StrictInputMixin:
    """For input serializers: a field the serializer does not know is a 400 naming it,
    not silently ignored (``field_hints`` says what to do instead for some names); with
    ``require_changes``, an update that sets nothing is a 400 too."""

    # (This docstring is the description of every input schema in the API docs, so the
    # knobs are explained here.) Fields without a hint get ``unknown_field_message``. By
    # default unknown fields are refused before the known ones are checked, at every level
    # of nesting; with ``unknown_fields_last`` they are refused only once the known fields
    # are valid, and only in the request body itself (a nested serializer's items are not
    # checked): the answers the on-call API has always given.
    field_hints: dict[str, str] = {}
    unknown_field_message = "Unknown or read-only field."
    unknown_fields_last = False
    require_changes = False

    def _refuse_unknown_fields(self, data: Any) -> None:
        if not isinstance(data, Mapping):
            return
        unknown = sorted(str(name) for name in set(data) - set(self.fields))  # type: ignore[attr-defined]
        if unknown:
            raise serializers.ValidationError(
                {name: [self.field_hints.get(name, self.unknown_field_message)] for name in unknown}
            )

    def to_internal_value(self, data):
        if not self.unknown_fields_last:
            self._refuse_unknown_fields(data)
        return super().to_internal_value(data)  # type: ignore[misc]

    def validate(self, attrs):
        attrs = super().validate(attrs)  # type: ignore[misc]
        if self.unknown_fields_last:
            self._refuse_unknown_fields(getattr(self, "initial_data", None))
        if self.require_changes and not attrs:
            raise serializers.ValidationError("Nothing to change.")
        return attrs


def validated_body(serializer_class: type[serializers.Serializer], request: Request) -> Any:
    """The request body validated by ``serializer_class`` (a 400 naming the fields when
    it is not valid)."""
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def query_instant(request: Request, name: str, default: datetime | None = None) -> datetime:
    """The query parameter ``name`` as an aware datetime (ISO 8601 with an offset; a space
    stands for the ``+`` a URL decodes to one). Missing or empty: ``default``, or a 400 when
    there is none."""
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        if default is not None:
            return default
        raise InvalidInput(f"{name} is required.", errors={name: ["This parameter is required."]})
    try:
        value = parse_datetime(raw.replace(" ", "+"))
    except ValueError:  # a well-formed but impossible value: 2026-02-30, an offset of +25:00
        value = None
    if value is None:
        raise InvalidInput(
            f"{name} must be an ISO 8601 datetime.", errors={name: ["Not an ISO 8601 datetime."]}
        )
    if timezone.is_naive(value):
        raise InvalidInput(
            f"{name} needs a time zone offset (e.g. Z or +01:00).",
            errors={name: ["Give a time zone offset."]},
        )
    # Windows are computed around the instant; near year 1 or 9999 they would overflow.
    if not QUERY_INSTANT_FIRST <= value <= QUERY_INSTANT_LAST:
        raise InvalidInput(
            f"{name} must be between {QUERY_INSTANT_FIRST.year} and {QUERY_INSTANT_LAST.year}.",
            errors={name: ["Out of range."]},
        )
    return value


QUERY_INSTANT_FIRST = datetime(1970, 1, 1, tzinfo=UTC)
QUERY_INSTANT_LAST = datetime(2200, 1, 1, tzinfo=UTC)


# Lists answered as one array (a record's history, versions, pages) stop at this many
# rows, newest first where the list has an order in time: no request reads a table whole.
UNPAGED_LIST_LIMIT = 500


class Router(SimpleRouter):
    """The API's router: ids in paths are numbers, so ``/incidents/abc/`` is a 404 from the
    resolver rather than a ``ValueError`` in a lookup (a viewset that looks rows up by
    something else says so with ``lookup_value_regex``)."""

    def get_lookup_regex(self, viewset: Any, lookup_prefix: str = "") -> str:
        lookup_field = getattr(viewset, "lookup_field", "pk")
        lookup_url_kwarg = getattr(viewset, "lookup_url_kwarg", None) or lookup_field
        lookup_value = getattr(viewset, "lookup_value_regex", "[0-9]+")
        return f"(?P<{lookup_prefix}{lookup_url_kwarg}>{lookup_value})"


class Pagination(PageNumberPagination):
    """Pages of 50 by default; ``page_size`` up to 200, and past that the page is 200 (a
    client asking for everything gets the most a page holds, not a 400: ``next`` says
    there is more)."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200

    def get_page_size(self, request):
        """DRF silently ignores a page_size it cannot read; a client asking for
        ``page_size=abc`` or ``0`` gets a 400 naming it instead. Past the maximum the
        page is the maximum."""
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        try:
            size = int(raw)
        except ValueError:
            size = 0
        if size < 1:
            raise exceptions.ValidationError(
                {
                    self.page_size_query_param: [
                        f"Must be a whole number from 1 to {self.max_page_size}."
                    ]
                }
            )
        return min(size, self.max_page_size)


def _flatten(detail: Any) -> list[str]:
    if isinstance(detail, dict):
        out: list[str] = []
        for key, value in detail.items():
            out.extend(f"{key}: {msg}" for msg in _flatten(value))
        return out
    if isinstance(detail, list):
        out = []
        for item in detail:
            out.extend(_flatten(item))
        return out
    return [str(detail)]


def _field_errors(detail: Any) -> dict[str, list[str]]:
    if isinstance(detail, dict):
        return {str(field): _flatten(value) for field, value in detail.items()}
    return {"non_field_errors": _flatten(detail)}


def exception_handler(exc: Exception, context: dict) -> Response | None:
    if isinstance(exc, DomainError):
        body: dict[str, Any] = {"detail": exc.detail, "errors": exc.errors, **exc.extra}
        headers = {}
        if exc.status_code == status.HTTP_429_TOO_MANY_REQUESTS and "retry_after" in exc.extra:
            headers["Retry-After"] = str(exc.extra["retry_after"])
        return Response(body, status=exc.status_code, headers=headers)
    if isinstance(exc, DjangoValidationError):
        errors = (
            {k: [str(m) for m in v] for k, v in exc.message_dict.items()}
            if hasattr(exc, "error_dict")
            else {"non_field_errors": [str(m) for m in exc.messages]}
        )
        return Response({"detail": "Invalid input.", "errors": errors}, status=400)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()

    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        errors = _field_errors(exc.detail)
        first = next(iter(errors.items()), None)
        detail = "Invalid input."
        if first:
            field, messages = first
            detail = (
                f"Invalid input: {messages[0]}"
                if field == "non_field_errors"
                else f"Invalid input: {field}: {messages[0]}"
            )
        response.data = {"detail": detail, "errors": errors}
    else:
        detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
        if isinstance(detail, dict | list):
            response.data = {"detail": "; ".join(_flatten(detail)), "errors": _field_errors(detail)}
        else:
            response.data = {"detail": str(detail), "errors": {}}
    return response
