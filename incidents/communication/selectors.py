"""The public status page: what may be shown to anyone, and nothing else.

What is public (and what a "private team" is): nothing of a team appears unless one of
its services is marked ``Service.public``; then only that service's name and state, the
*published* non-private incidents that affect it (their public title, state, status and
public updates) and maintenance windows that include it. An incident is published once
it has a public update (someone shared one, or the team auto-publishes at declaration);
until then it appears nowhere here, nor does it change its services' states. Never
shown: private incidents, internal titles (an incident without a public title is "Issue
affecting <its public services>"), internal and stakeholder updates, people (authors,
commanders), team names or keys, incident references, non-public services, summaries
or impact statements.
"""

import hashlib
import hmac
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Exists, OuterRef, Prefetch, Q
from django.utils import timezone

from incidents.communication import status_state
from incidents.communication.models import StatusUpdate, UpdateAudience
from incidents.models import OPEN_STATUSES, Incident, IncidentStatus, MaintenanceWindow, Service

HISTORY_DAYS = 14


def _published():
    """Incidents with a public update: the status page shows nothing of the others."""
    return Exists(
        StatusUpdate.objects.filter(incident=OuterRef("pk"), audience=UpdateAudience.PUBLIC)
    )


def _public_incidents():
    # A drill's incident is never public, whatever its updates say.
    return _public_incidents_base().filter(
        _published(), private=False, is_drill=False, services__public=True
    )


def _public_incidents_base():
    return (
        Incident.objects.distinct()
        .select_related("severity", "communication")
        .prefetch_related(
            Prefetch(
                "services",
                queryset=Service.objects.filter(public=True).only("id", "name", "slug"),
                to_attr="public_services",
            ),
            Prefetch(
                "updates",
                queryset=StatusUpdate.objects.filter(audience=UpdateAudience.PUBLIC)
                .only("id", "incident_id", "message", "status", "created_at")
                .order_by("-created_at", "-id"),
                to_attr="public_updates",
            ),
        )
    )


def _override(incident: Incident) -> str:
    try:
        return incident.communication.status_page_state
    except Incident.communication.RelatedObjectDoesNotExist:
        return ""


def _public_title(incident: Incident) -> str:
    """The public title, else the neutral one: never the internal title."""
    try:
        title = incident.communication.public_title
    except Incident.communication.RelatedObjectDoesNotExist:
        title = ""
    return title or status_state.neutral_title(s.name for s in incident.public_services)


LABELS = dict(status_state.S.choices)
# An incident's status in the public's words: "triggered" and "acknowledged" are the
# responders' business; to readers of the status page both are "Investigating".
STATUS_LABELS = {
    **dict(IncidentStatus.choices),
    IncidentStatus.TRIGGERED: "Investigating",
    IncidentStatus.ACKNOWLEDGED: "Investigating",
}


def public_id(kind: str, pk: int) -> str:
    """A stable opaque id for the public page: database ids are global sequences, and
    showing them would hint at how many incidents (of every team) exist."""
    digest = hmac.new(settings.SECRET_KEY.encode(), f"{kind}:{pk}".encode(), hashlib.sha256)
    return digest.hexdigest()[:16]


def _incident_row(incident: Incident) -> dict[str, Any]:
    state = (
        status_state.incident_state(
            severity_level=incident.severity.level, override=_override(incident)
        )
        if incident.status in OPEN_STATUSES
        else status_state.S.OPERATIONAL
    )
    return {
        "id": public_id("incident", incident.pk),
        "title": _public_title(incident),
        "state": state,
        "state_label": LABELS[state],
        "status": incident.status,
        "status_label": STATUS_LABELS[incident.status],
        "started_at": incident.triggered_at,
        "resolved_at": incident.resolved_at,
        "services": [s.name for s in incident.public_services],
        "updates": [
            {
                "id": public_id("update", u.pk),
                "message": u.message,
                "status": u.status,
                "status_label": STATUS_LABELS.get(u.status, u.status),
                "created_at": u.created_at,
            }
            for u in incident.public_updates
        ],
    }


def status_page(*, now: datetime | None = None) -> dict[str, Any]:
    now = now or timezone.now()
    since = now - timedelta(days=HISTORY_DAYS)
    services = list(Service.objects.filter(public=True).order_by("name", "pk"))
    open_incidents = list(
        _public_incidents().filter(status__in=OPEN_STATUSES).order_by("-triggered_at", "-id")
    )
    windows = list(
        MaintenanceWindow.objects.filter(ends_at__gt=now, services__public=True)
        .distinct()
        .prefetch_related(
            Prefetch(
                "services",
                queryset=Service.objects.filter(public=True).only("id", "name"),
                to_attr="public_services",
            )
        )
        .order_by("starts_at", "pk")
    )
    under_maintenance = {s.pk for w in windows if w.starts_at <= now for s in w.public_services}
    states_by_service: dict[int, list[str]] = defaultdict(list)
    incident_rows = []
    for incident in open_incidents:
        row = _incident_row(incident)
        incident_rows.append(row)
        for s in incident.public_services:
            states_by_service[s.pk].append(row["state"])
    service_rows = []
    for s in services:
        state = status_state.service_state(
            incident_states=states_by_service[s.pk], under_maintenance=s.pk in under_maintenance
        )
        service_rows.append(
            {"name": s.name, "slug": s.slug, "state": state, "state_label": LABELS[state]}
        )
    overall = status_state.worst(r["state"] for r in service_rows)
    history_incidents = list(
        _public_incidents()
        .filter(Q(triggered_at__gte=since) | Q(resolved_at__gte=since))
        .order_by("-triggered_at", "-id")
    )
    by_day: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for incident in history_incidents:
        by_day[incident.triggered_at.date().isoformat()].append(_incident_row(incident))
    days = [(now - timedelta(days=offset)).date().isoformat() for offset in range(HISTORY_DAYS)]
    return {
        "generated_at": now,
        "overall": overall,
        "overall_label": LABELS[overall],
        "services": service_rows,
        "incidents": incident_rows,
        "maintenance": [
            {
                "id": public_id("maintenance", w.pk),
                "title": w.title,
                "description": w.description,
                "starts_at": w.starts_at,
                "ends_at": w.ends_at,
                "in_progress": w.starts_at <= now,
                "services": [s.name for s in w.public_services],
            }
            for w in windows
        ],
        "history": [
            {"date": date.fromisoformat(day), "incidents": by_day.get(day, [])} for day in days
        ],
    }


def status_feed_items(*, now: datetime | None = None) -> list[dict[str, Any]]:
    """Public updates of the last 14 days, newest first, for the Atom feed."""
    now = now or timezone.now()
    since = now - timedelta(days=HISTORY_DAYS)
    items = []
    for incident in _public_incidents().filter(
        Q(triggered_at__gte=since) | Q(resolved_at__gte=since) | Q(status__in=OPEN_STATUSES)
    ):
        row = _incident_row(incident)
        for update in row["updates"]:
            if update["created_at"] >= since:
                items.append({"incident": row, "update": update})
    items.sort(key=lambda item: item["update"]["created_at"], reverse=True)
    return items


# --- the incident page's "Share update" ------------------------------------------------


@dataclass
class StatusPagePresence:
    """What the status page knows of one incident, loaded once (three queries) for the
    incident page's composer and its preview."""

    incident: Incident
    public_services: list[Service]
    public_updates: list[StatusUpdate]
    status_page_state: str
    public_title: str
    customer_impact: bool | None

    @property
    def published(self) -> bool:
        return bool(self.public_updates)

    @property
    def shown(self) -> bool:
        """Whether the page can show it at all (once published)."""
        return (
            bool(self.public_services) and not self.incident.private and not self.incident.is_drill
        )


def incident_status_page_presence(*, incident: Incident) -> StatusPagePresence:
    loaded = _public_incidents_base().get(pk=incident.pk)
    try:
        comm = loaded.communication
        state, title, impact = comm.status_page_state, comm.public_title, comm.customer_impact
    except Incident.communication.RelatedObjectDoesNotExist:
        state, title, impact = "", "", None
    return StatusPagePresence(
        incident=loaded,
        public_services=list(loaded.public_services),
        public_updates=list(loaded.public_updates),
        status_page_state=state,
        public_title=title,
        customer_impact=impact,
    )


def status_card_preview(
    *,
    presence: StatusPagePresence,
    message: str = "",
    status_page_state: str | None = None,
    public_title: str | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The status page's card of the incident as it would be after a public update with
    ``message`` and these settings (None: as they are now): the row the page renders,
    built from what is public only, with the new update first. No query."""
    now = now or timezone.now()
    incident = presence.incident
    override = presence.status_page_state if status_page_state is None else status_page_state
    title = presence.public_title if public_title is None else public_title.strip()
    row = _incident_row(incident)
    state = (
        status_state.incident_state(severity_level=incident.severity.level, override=override)
        if incident.status in OPEN_STATUSES
        else status_state.S.OPERATIONAL
    )
    row["state"], row["state_label"] = state, LABELS[state]
    row["title"] = title or status_state.neutral_title(s.name for s in presence.public_services)
    message = (message or "").strip()
    if message:
        row["updates"].insert(
            0,
            {
                "id": "preview",
                "message": message,
                "status": incident.status,
                "status_label": STATUS_LABELS[incident.status],
                "created_at": now,
            },
        )
    row["updates"] = row["updates"][:4]
    return row
