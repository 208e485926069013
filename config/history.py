"""django-simple-history records the request's user by itself; services run from
tasks, scripts and the API too, so they name the actor explicitly."""

from typing import Any, TypeVar

T = TypeVar("T")


def attribute_history(instance: T, actor: Any) -> T:
    """Make the next save of ``instance`` record ``actor`` as the history user."""
    if actor is not None and getattr(actor, "is_authenticated", False):
        instance._history_user = actor  # type: ignore[attr-defined]
    return instance
