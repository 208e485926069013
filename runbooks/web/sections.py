"""The "Runbooks" section of the incident page (incidents.web.sections), registered from
RunbooksConfig.ready: the attached runbooks, best match first, in one query, each linking
to its page."""

from typing import Any

from django.urls import reverse

from runbooks import selectors

SECTION_ROWS = 10


def incident_runbooks(request: Any, incident: Any) -> dict[str, Any]:
    attachments = list(selectors.incident_runbook_list(incident=incident)[:SECTION_ROWS])
    return {
        "rows": [
            {"attachment": a, "url": reverse("web:runbook-detail", args=[a.runbook_id])}
            for a in attachments
        ]
    }


def register() -> None:
    from incidents.web.sections import register_section

    register_section(
        page="incident_detail",
        name="runbooks",
        template="runbooks/_incident_runbooks.html",
        context=incident_runbooks,
        order=30,
    )
