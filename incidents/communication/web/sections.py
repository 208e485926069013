"""The communication room's part of the incident page: "Share update" (the composer and
the preview of the status page's card), among the page's tools so that a refresh of the
incident's live region never wipes a message being written.

``register()`` is idempotent; ``web/urls.py`` calls it, because the section posts to
those URLs and must exist exactly when they do."""

from typing import Any

from incidents.communication.web.views import share_update_context
from incidents.web.sections import register_section

NAME = "share-update"


def share_update_section_context(request: Any, incident: Any) -> dict[str, Any]:
    return share_update_context(request, incident)


def register() -> None:
    register_section(
        page="incident_tools",
        name=NAME,
        template="incidents/_share_update.html",
        context=share_update_section_context,
        order=10,
    )
