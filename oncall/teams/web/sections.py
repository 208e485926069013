"""Sections that higher apps add to the team page, registered from their AppConfig.ready
(the team page lives in oncall, below the incidents and postmortems that know how the
team responds, so it cannot import them)::

    from oncall.teams.web.sections import register_section

    register_section(
        page="team_detail",
        name="response_process",
        template="flowcharts/_team_response_process.html",
        context=lambda request, team: {...},
        order=20,
    )

``context`` returns the dictionary its template renders (as ``section``); it must load
what it shows in a bounded number of queries (the page's query-count test asserts it).

A section may also offer a file of the team (the response process as SVG at
``/teams/<id>/response-process.svg``): ``register_download(name=..., render=...)``, where
``render(request, team)`` returns an HttpResponse. The team page's view checks that the
reader is in the team before calling it.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

PAGES = ("team_detail",)


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


_downloads: dict[str, Callable[..., Any]] = {}


def register_download(*, name: str, render: Callable[..., Any]) -> None:
    _downloads[name] = render


def unregister_download(*, name: str) -> None:
    _downloads.pop(name, None)


def download_render(name: str, request: Any, **kwargs: Any) -> Any:
    """The registered file's response, or None when no app offers ``name``."""
    render = _downloads.get(name)
    return None if render is None else render(request, **kwargs)
