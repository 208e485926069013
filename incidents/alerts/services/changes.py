"""Change events (deploys, config pushes) sent to ``POST /v2/change/enqueue``: recorded
against the integration's service, and read back as the context of that service's
incidents (the incident page's "Recent changes", ``GET /api/v1/change-events/``).

A change never opens, acknowledges or resolves anything, so it is stored at once (no
inbox): one lookup, the rate-limit count shared with the integration's alerts, one
insert."""

from datetime import datetime, timedelta
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from common.errors import InvalidInput, NotFound
from incidents.alerts.models import ChangeEvent
from incidents.alerts.parsers.change_events import ChangeEventData
from incidents.alerts.services.integrations import integration_by_routing_key
from incidents.alerts.services.ratelimit import ingest_rate_check
from incidents.models import Incident
from incidents.selectors import User, incident_get
from oncall.teams.selectors import team_scoped

# How far before an incident was declared its services' changes are shown.
CHANGES_BEFORE_INCIDENT = timedelta(hours=4)
# The most an incident page lists (newest first).
INCIDENT_CHANGES_SHOWN = 50


def change_event_record(*, routing_key: str, change: ChangeEventData) -> ChangeEvent:
    """Store a validated change event for the enabled integration with that key.

    Raises NotFound (no enabled integration has the key) or RateLimited."""
    integration = integration_by_routing_key(routing_key)
    if integration is None:
        raise NotFound("No enabled integration has this routing key.")
    now = timezone.now()
    ingest_rate_check(integration=integration, now=now)
    return ChangeEvent.objects.create(
        integration=integration,
        service_id=integration.service_id,
        summary=change.summary,
        source=change.source,
        timestamp=change.timestamp or now,
        links=change.links,
        custom_details=change.custom_details,
        received_at=now,
    )


def change_event_list(*, user: User) -> QuerySet[ChangeEvent]:
    """Change events of the user's teams' integrations, newest first, with what a list
    renders."""
    return team_scoped(
        ChangeEvent.objects.select_related("service", "integration"),
        user=user,
        team_field="integration__team",
    ).order_by("-timestamp", "-id")


def change_events_for_incident(
    *, user: User, incident: Incident, now: datetime | None = None
) -> QuerySet[ChangeEvent]:
    """Changes to the incident's services from ``CHANGES_BEFORE_INCIDENT`` before it was
    declared up to now, newest first (the services in a subquery: one query)."""
    now = now or timezone.now()
    return change_event_list(user=user).filter(
        service__in=incident.services.all().values("pk"),
        timestamp__gte=incident.triggered_at - CHANGES_BEFORE_INCIDENT,
        timestamp__lte=now,
    )


def change_event_filter(
    qs: QuerySet[ChangeEvent], *, user: User, incident: Any = None, service: Any = None
) -> QuerySet[ChangeEvent]:
    """``qs`` narrowed by the list endpoint's ``incident`` and ``service`` parameters;
    an incident the user cannot see is "not found", a bad id is invalid input."""
    if incident not in (None, ""):
        found = incident_get(user=user, incident_id=incident)
        qs = change_events_for_incident(user=user, incident=found)
    if service not in (None, ""):
        service_id = str(service).strip()
        if not (service_id.isascii() and service_id.isdigit()) or int(service_id) >= 2**63:
            raise InvalidInput("Invalid filter.", errors={"service": ["Must be a service id."]})
        qs = qs.filter(service_id=int(service_id))
    return qs
