"""Page sections that higher apps plug into a lower app's page, registered from their
AppConfig.ready, so the page's view never imports them (the layer contract).

A lower app makes one registry for its pages and re-exports its functions::

    _registry = SectionRegistry(pages=("home", "incident_detail"))
    register_section = _registry.register
    render_sections = _registry.render

``context(request, **page_objects)`` returns the dictionary its template renders (as
``section``); it must load what it shows in a bounded number of queries (each page's
query-count test asserts it).
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Section:
    page: str
    name: str
    template: Any  # a template name, or a compiled Template
    context: Callable[..., dict[str, Any]]
    order: int = 50


class SectionRegistry:
    def __init__(self, *, pages: tuple[str, ...]) -> None:
        self.pages = pages
        self._sections: dict[tuple[str, str], Section] = {}

    def register(
        self,
        *,
        page: str,
        name: str,
        template: Any,
        context: Callable[..., dict[str, Any]],
        order: int = 50,
    ) -> None:
        if page not in self.pages:
            raise ValueError(f"Unknown page {page!r}; expected one of {self.pages}")
        self._sections[(page, name)] = Section(page, name, template, context, order)

    def unregister(self, *, page: str, name: str) -> None:
        self._sections.pop((page, name), None)

    def render(self, page: str, request: Any, **kwargs: Any) -> list[dict[str, Any]]:
        """[{"name", "template", "context"}] for the page, in order."""
        found = sorted(
            (s for s in self._sections.values() if s.page == page),
            key=lambda s: (s.order, s.name),
        )
        return [
            {"name": s.name, "template": s.template, "context": s.context(request, **kwargs)}
            for s in found
        ]
