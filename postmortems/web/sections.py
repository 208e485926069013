"""Sections this app adds to the web pages (incidents.web.sections), registered from
PostmortemsConfig.ready: "Postmortems I owe" and "My action items" on the home page,
"Postmortem" on the incident page. Each context loads its rows in one query."""

from typing import Any

from django.urls import reverse
from django.utils import timezone

from postmortems import selectors


def home_postmortems_owed(request: Any) -> dict[str, Any]:
    now = timezone.now()
    rows = [
        {
            "postmortem": pm,
            "url": reverse("web:postmortem-detail", args=[pm.pk]),
            "overdue": pm.due_at is not None and pm.due_at < now,
        }
        for pm in selectors.postmortems_owed(user=request.user)
    ]
    return {"rows": rows}


def home_action_items(request: Any) -> dict[str, Any]:
    today = timezone.localdate()
    rows = [
        {
            "item": item,
            # Items are worked on in their postmortem; those filed on an incident alone
            # live on the board.
            "url": reverse("web:postmortem-detail", args=[item.postmortem_id])
            if item.postmortem_id
            else reverse("web:action-item-board") + "?mine=1",
            "overdue": item.is_overdue(today),
        }
        for item in selectors.action_items_mine(user=request.user)
    ]
    return {"rows": rows}


def incident_postmortem(request: Any, incident: Any) -> dict[str, Any]:
    postmortem = selectors.incident_postmortem(incident=incident)
    return {
        "incident": incident,
        "postmortem": postmortem,
        "url": reverse("web:postmortem-detail", args=[postmortem.pk]) if postmortem else None,
        "overdue": bool(
            postmortem
            and not postmortem.is_published
            and postmortem.due_at is not None
            and postmortem.due_at < timezone.now()
        ),
        "required": incident.severity.postmortem_required,
    }


def register() -> None:
    from incidents.web.sections import register_section

    register_section(
        page="home",
        name="postmortems-owed",
        template="postmortems/_home_postmortems_owed.html",
        context=home_postmortems_owed,
        order=20,
    )
    register_section(
        page="home",
        name="my-action-items",
        template="postmortems/_home_action_items.html",
        context=home_action_items,
        order=21,
    )
    register_section(
        page="incident_detail",
        name="postmortem",
        template="postmortems/_incident_postmortem.html",
        context=incident_postmortem,
        order=20,
    )
