"""API plumbing shared by every app: pagination and the one error shape
``{"detail": ..., "errors": {field: [...]}}``."""

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from common.errors import DomainError


class StrictInputMixin:
    """For input serializers: a field the serializer does not know is a 400 naming it,
    not silently ignored (``field_hints`` says what to do instead for some names); with
    ``require_changes``, an update that sets nothing is a 400 too."""

    field_hints: dict[str, str] = {}
    require_changes = False

    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            unknown = sorted(str(name) for name in set(data) - set(self.fields))  # type: ignore[attr-defined]
            if unknown:
                raise serializers.ValidationError(
                    {
                        name: [self.field_hints.get(name, "Unknown or read-only field.")]
                        for name in unknown
                    }
                )
        return super().to_internal_value(data)  # type: ignore[misc]

    def validate(self, attrs):
        attrs = super().validate(attrs)  # type: ignore[misc]
        if self.require_changes and not attrs:
            raise serializers.ValidationError("Nothing to change.")
        return attrs


class Pagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500

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
