"""The public status page: what may be shown to anyone, and nothing else.

What is public (and what a "private team" is): nothing of a team appears unless one of
its services is marked ``Service.public``; then only that service's name and state, the
non-private open incidents that affect it (their public title, state, status and
*public* updates) and maintenance windows that include it. Never shown: private
incidents, internal updates, people (authors, commanders), team names or keys,
incident references, non-public services, summaries or impact statements.
"""

import hashlib
import hmac
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Prefetch, Q
from django.utils import timezone

from incidents.communication import status_state
from incidents.communication.models import StatusUpdate, UpdateAudience
from incidents.models import OPEN_STATUSES, Incident, MaintenanceWindow, Service

HISTORY_DAYS = 14


def _public_incidents():
    return (
        Incident.objects.filter(private=False, services__public=True)
        .distinct()
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
    try:
        return incident.communication.public_title or incident.title
    except Incident.communication.RelatedObjectDoesNotExist:
        return incident.title


LABELS = dict(status_state.S.choices)


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
        "started_at": incident.triggered_at,
        "resolved_at": incident.resolved_at,
        "services": [s.name for s in incident.public_services],
        "updates": [
            {
                "id": public_id("update", u.pk),
                "message": u.message,
                "status": u.status,
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
        "history": [{"date": day, "incidents": by_day.get(day, [])} for day in days],
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
