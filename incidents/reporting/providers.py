"""Figures the metrics report but other rooms and apps own (postmortem and action-item
completion, pages per engineer, the escalation engine's lag). Each comes from a
*provider* registered with :func:`register_provider`, typically from the owner's
``AppConfig.ready`` or ``config.apps``; until one is registered the figure is ``None``
and the response's ``unavailable`` says why. A provider is called with the
:class:`MetricsScope` of the request."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from incidents.models import Severity


@dataclass(frozen=True)
class MetricsScope:
    """What a provider is asked about: the teams (``None`` = every team, for staff), the
    period ``[since, until)``, an optional severity, and the moment of the computation."""

    team_ids: list[int] | None
    since: datetime
    until: datetime
    severity: Severity | None
    now: datetime


Provider = Callable[[MetricsScope], Any]

# Figure name -> why it is missing while no provider is registered.
PROVIDED_FIGURES: dict[str, str] = {
    "postmortem_completion_rate": (
        "not available until the postmortems module registers a provider"
    ),
    "action_item_completion_rate": (
        "not available until the action items module registers a provider"
    ),
    "pages_per_engineer_per_week": ("not available until the paging engine registers a provider"),
    "escalation_engine_lag_seconds": ("not available until the paging engine registers a provider"),
}

_providers: dict[str, Provider] = {}


def register_provider(name: str, provider: Provider) -> None:
    """Plug in a figure computed by another app, e.g. from ``PostmortemsConfig.ready``::

    register_provider("postmortem_completion_rate", postmortem_completion_rate)
    """
    if name not in PROVIDED_FIGURES:
        raise ValueError(f"Unknown figure {name!r}; expected one of {sorted(PROVIDED_FIGURES)}")
    _providers[name] = provider


def registered_providers() -> dict[str, Provider]:
    """A copy of the registered providers, by figure name (to restore them later)."""
    return dict(_providers)


def unregister_provider(name: str) -> None:
    _providers.pop(name, None)


def provided_figure(name: str, scope: MetricsScope) -> tuple[Any, str | None]:
    """The provider's value, or ``(None, reason)`` when none is registered."""
    provider = _providers.get(name)
    if provider is None:
        return None, PROVIDED_FIGURES[name]
    return provider(scope), None
