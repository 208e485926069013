"""Sections that other apps add to the pages, registered from their AppConfig.ready.

The home page and the incident page show what this app knows; the on-call engine (who
is on call, pages sent), postmortems (postmortems I owe, the incident's postmortem), action
items and runbooks plug their parts in here instead of the views importing them::

    from incidents.web.sections import register_section

    register_section(
        page="incident_detail",
        name="runbooks",
        template="runbooks/_incident_runbooks.html",
        context=lambda request, incident: {"runbooks": runbook_list_for(incident=incident)},
        order=30,
    )

``context`` returns the dictionary its template renders (as ``section``); it must load
what it shows in a bounded number of queries (the page tests assert it).

Pages: ``home``; ``incident_detail`` (inside the incident's live region, which an open
SEV1 page refreshes every few seconds); ``incident_tools`` (forms people type into, e.g.
communication's "Share update": rendered outside the live region, so a refresh never
wipes what someone is writing; they refresh the page's live region after a change by
answering with the ``HX-Trigger: incident-changed`` header).
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

PAGES = ("home", "incident_detail", "incident_tools")


@dataclass(frozen=True)
class Section:
    page: str
    name: str
    template: Any  # a template name, or a compiled Template
    context: Callable[..., dict[str, Any]]
    order: int = 50


_sections: dict[tuple[str, str], Section] = {}


def register_section(
    *,
    page: str,
    name: str,
    template: Any,
    context: Callable[..., dict[str, Any]],
    order: int = 50,
) -> None:
    if page not in PAGES:
        raise ValueError(f"Unknown page {page!r}; expected one of {PAGES}")
    _sections[(page, name)] = Section(page, name, template, context, order)


def unregister_section(*, page: str, name: str) -> None:
    _sections.pop((page, name), None)


def render_sections(page: str, request: Any, **kwargs: Any) -> list[dict[str, Any]]:
    """[{"name", "template", "context"}] for the page, in order."""
    found = sorted(
        (s for s in _sections.values() if s.page == page), key=lambda s: (s.order, s.name)
    )
    return [
        {"name": s.name, "template": s.template, "context": s.context(request, **kwargs)}
        for s in found
    ]
