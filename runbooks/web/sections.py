"""The "Runbooks" section of the incident page (incidents.web.sections), registered from
RunbooksConfig.ready: the attached runbooks, best match first, in one query, each linking
to its page."""

from typing import Any

from django.urls import reverse

from runbooks import selectors

SECTION_ROWS = 10


def reason_in_words(reason: str) -> str:
    """A match reason of ``runbooks.matching`` as people read it: ``service:checkout`` →
    "the checkout service", ``keyword:latency`` → "“latency” in the title"."""
    kind, _, value = reason.partition(":")
    return {
        "alert": f"the alert {value}",
        "labels": f"the labels {value}",
        "service": f"the {value} service",
        "keyword": f"“{value}” in the title",
    }.get(kind, reason)


def incident_runbooks(request: Any, incident: Any) -> dict[str, Any]:
    attachments = list(selectors.incident_runbook_list(incident=incident)[:SECTION_ROWS])
    return {
        "resolved": incident.resolved_at is not None,
        "rows": [
            {
                "attachment": a,
                "url": reverse("web:runbook-detail", args=[a.runbook_id]),
                "reasons": [reason_in_words(r) for r in a.matched_by],
            }
            for a in attachments
        ],
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
