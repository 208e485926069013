"""Panels that other apps add to the on-call page, below a team's schedules and escalation
policies, registered at start-up.

The on-call page shows what this app knows; an app that knows more about a team (the
paging engine: how loaded each member is) plugs its panel in here instead of this app
importing it::

    from oncall.web.panels import register_panel

    register_panel(
        name="load-report",
        template="oncall/_load_report.html",
        context=lambda request, team: {"rows": oncall_load(team=team, ...)},
        order=10,
    )

``context`` returns the dictionary its template renders (as ``panel``); it must load what
it shows in a bounded number of queries (the page's tests assert it).
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Panel:
    name: str
    template: Any  # a template name, or a compiled Template
    context: Callable[..., dict[str, Any]]
    order: int = 50


_panels: dict[str, Panel] = {}


def register_panel(
    *, name: str, template: Any, context: Callable[..., dict[str, Any]], order: int = 50
) -> None:
    _panels[name] = Panel(name, template, context, order)


def unregister_panel(*, name: str) -> None:
    _panels.pop(name, None)


def render_panels(request: Any, team: Any) -> list[dict[str, Any]]:
    """[{"name", "template", "context"}] for ``team``'s on-call page, in order."""
    found = sorted(_panels.values(), key=lambda p: (p.order, p.name))
    return [
        {"name": p.name, "template": p.template, "context": p.context(request, team)} for p in found
    ]
