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
from typing import Any

from common.sections import Section, SectionRegistry

PAGES = ("team_detail",)

_registry = SectionRegistry(pages=PAGES)
register_section = _registry.register
unregister_section = _registry.unregister
render_sections = _registry.render

__all__ = [
    "PAGES",
    "Section",
    "download_render",
    "register_download",
    "register_section",
    "render_sections",
    "unregister_download",
    "unregister_section",
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
