"""One hierarchy for domain errors. Services raise these; the API maps them to one JSON
shape (see config.api.exception_handler), the admin and pages show their message."""

from typing import Any


class DomainError(Exception):
    status_code = 400
    default_detail = "The request could not be processed."

    def __init__(
        self,
        detail: str | None = None,
        *,
        errors: dict[str, list[str]] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        self.detail = detail or self.default_detail
        self.errors = errors or {}
        self.extra = extra or {}
        super().__init__(self.detail)


class InvalidInput(DomainError):
    status_code = 400
    default_detail = "Invalid input."


class AccessDenied(DomainError):
    status_code = 403
    default_detail = "You do not have permission to do this."


class NotFound(DomainError):
    status_code = 404
    default_detail = "Not found."


class Conflict(DomainError):
    """The request is well-formed but conflicts with the current state (e.g. a transition
    that the incident's status does not allow)."""

    status_code = 409
    default_detail = "The request conflicts with the current state."


class RateLimited(DomainError):
    status_code = 429
    default_detail = "Too many requests."
