"""The paging engine's sections on the pages, registered from ``config.apps``:
"On call now" and "My pending pages" on the home page, "Pages sent" on the incident page,
and the load report on the on-call page. Each loads what it shows in a fixed number of
queries (tests/web/test_oncall_sections.py, tests/web/test_oncall_page.py)."""

from datetime import timedelta
from typing import Any

from django.utils import timezone

from incidents.paging.selectors import (
    PAGE_TARGET_PER_WEEK,
    incident_pages,
    my_failing_contact_methods,
    my_pending_pages,
    oncall_load,
    oncall_now,
)
from incidents.web.sections import register_section
from oncall.web.panels import register_panel

LOAD_DAYS = 28


def oncall_now_context(request: Any) -> dict[str, Any]:
    return {"teams": oncall_now(user=request.user)}


def my_pending_pages_context(request: Any) -> dict[str, Any]:
    return {
        "rows": my_pending_pages(user=request.user),
        "failing": my_failing_contact_methods(user=request.user),
    }


def pages_sent_context(request: Any, incident: Any) -> dict[str, Any]:
    return {"pages": list(incident_pages(incident=incident))}


def oncall_load_context(request: Any, team: Any) -> dict[str, Any]:
    until = timezone.now()
    since = until - timedelta(days=LOAD_DAYS)
    return {
        "since": since,
        "until": until,
        "rows": oncall_load(team=team, since=since, until=until),
        "target": PAGE_TARGET_PER_WEEK,
    }


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
    register_panel(
        name="load-report",
        template="oncall/_load_report.html",
        context=oncall_load_context,
        order=10,
    )
