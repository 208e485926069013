"""The alerts room's part of the incident page: "Recent changes", the change events of
the incident's services from four hours before it was declared up to now (what was
deployed or reconfigured just before things went wrong).

``register()`` is idempotent; ``config.apps.WiringConfig.ready`` calls it."""

from typing import Any

from incidents.alerts.services.changes import (
    CHANGES_BEFORE_INCIDENT,
    INCIDENT_CHANGES_SHOWN,
    change_events_for_incident,
)
from incidents.web.sections import register_section

NAME = "recent-changes"


def recent_changes_context(request: Any, incident: Any) -> dict[str, Any]:
    changes = list(
        change_events_for_incident(user=request.user, incident=incident)[
            : INCIDENT_CHANGES_SHOWN + 1
        ]
    )
    for change in changes:
        # Only web addresses become links (a sender could post a javascript: URL).
        change.web_links = [
            link
            for link in change.links
            if isinstance(link, dict)
            and str(link.get("href", "")).lower().startswith(("https://", "http://"))
        ]
    return {
        "changes": changes[:INCIDENT_CHANGES_SHOWN],
        "more": len(changes) > INCIDENT_CHANGES_SHOWN,
        "hours_before": int(CHANGES_BEFORE_INCIDENT.total_seconds() // 3600),
    }


def register() -> None:
    register_section(
        page="incident_detail",
        name=NAME,
        template="integrations/_recent_changes.html",
        context=recent_changes_context,
        order=40,
    )
