"""django-simple-history records the request's user by itself; services run from
tasks, scripts and the API too, so they name the actor explicitly."""

from typing import Any, TypeVar

T = TypeVar("T")


def attribute_history(instance: T, actor: Any) -> T:
    """Make the next save of ``instance`` record ``actor`` as the history user."""
    if actor is not None and getattr(actor, "is_authenticated", False):
        instance._history_user = actor  # type: ignore[attr-defined]
    return instance


def fields_apply(instance: Any, fields: dict[str, Any]) -> list[str]:
    """Set on ``instance`` the ``fields`` whose value differs; return their names."""
    changed = [name for name, value in fields.items() if getattr(instance, name) != value]
    for name in changed:
        setattr(instance, name, fields[name])
    return changed


def save_changed(
    instance: Any, actor: Any, fields: dict[str, Any], *, also: tuple[str, ...] = ()
) -> list[str]:
    """The update services' last step: apply ``fields``, then save only what changed
    (plus ``also``) with ``actor`` on the history row. Returns the changed names."""
    changed = fields_apply(instance, fields)
    if changed:
        attribute_history(instance, actor).save(update_fields=[*changed, *also])
    return changed
