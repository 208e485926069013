"""The paging engine's sections on the pages, registered from ``IncidentsConfig.ready``:
"On call now" and "My pending pages" on the home page, "Pages sent" on the incident page.
Each loads what it shows in a fixed number of queries (tests/web/test_oncall_sections.py)."""

from typing import Any

from incidents.paging import selectors as paging_selectors
from incidents.web.sections import register_section


def oncall_now_context(request: Any) -> dict[str, Any]:
    return {"teams": paging_selectors.oncall_now(user=request.user)}


def my_pending_pages_context(request: Any) -> dict[str, Any]:
    return {"rows": paging_selectors.my_pending_pages(user=request.user)}


def pages_sent_context(request: Any, incident: Any) -> dict[str, Any]:
    return {"pages": list(paging_selectors.incident_pages(incident=incident))}


def register() -> None:
    register_section(
        page="home",
        name="on-call-now",
        template="oncall/_oncall_now.html",
        context=oncall_now_context,
        order=10,
    )
    register_section(
        page="home",
        name="my-pending-pages",
        template="oncall/_my_pending_pages.html",
        context=my_pending_pages_context,
        order=20,
    )
    register_section(
        page="incident_detail",
        name="pages-sent-by-engine",
        template="oncall/_pages_sent.html",
        context=pages_sent_context,
        order=10,
    )
