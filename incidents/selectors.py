"""Reads for incidents, their timeline and history, the service catalog (scoped to the
user's teams) and the maintenance windows of services."""

from datetime import datetime
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.models import User as AuthUser
from django.db.models import Count, Prefetch, QuerySet
from django.utils import timezone

from common.errors import NotFound
from incidents.models import (
    OPEN_STATUSES,
    Incident,
    IncidentStatus,
    MaintenanceWindow,
    Service,
    Severity,
    TimelineEvent,
)
from oncall.teams.selectors import team_scoped

# AUTH_USER_MODEL is Django's own User; anonymous callers see nothing.
User = AuthUser | AnonymousUser


def severity_list() -> QuerySet[Severity]:
    return Severity.objects.order_by("level")


def severity_by_name(name: str) -> Severity | None:
    return Severity.objects.filter(name__iexact=name.strip()).first()


def service_list(*, user: User) -> QuerySet[Service]:
    return team_scoped(Service.objects.select_related("team"), user=user).order_by(
        "team__name", "name"
    )


def service_get(*, user: User, service_id: Any) -> Service:
    try:
        return service_list(user=user).get(pk=int(service_id))
    except (Service.DoesNotExist, TypeError, ValueError, OverflowError):
        raise NotFound("Service not found.") from None


def incident_list(*, user: User) -> QuerySet[Incident]:
    """Incidents of the user's teams with everything a list renders, loaded once."""
    return team_scoped(
        Incident.objects.select_related(
            "team", "severity", "commander", "scribe", "communications_lead"
        ).prefetch_related(
            Prefetch("services", queryset=Service.objects.only("id", "slug", "name"))
        ),
        user=user,
    ).order_by("-triggered_at", "-id")


def incident_get(*, user: User, incident_id: Any) -> Incident:
    """An incident of one of the user's teams; another team's incident is "not found"
    so that its existence does not leak."""
    try:
        return incident_list(user=user).get(pk=int(incident_id))
    except (Incident.DoesNotExist, TypeError, ValueError, OverflowError):
        raise NotFound("Incident not found.") from None


def incident_timeline(*, incident: Incident) -> QuerySet[TimelineEvent]:
    return incident.timeline.select_related("actor").order_by("created_at", "id")


def incident_history(*, incident: Incident) -> list[dict[str, Any]]:
    """Every saved version of the incident with the fields that changed, oldest first."""
    records = list(
        incident.history.select_related("history_user").order_by("history_date", "history_id")
    )
    severity_names = dict(Severity.objects.values_list("id", "name"))
    out: list[dict[str, Any]] = []
    previous = None
    for record in records:
        changes: dict[str, list[Any]] = {}
        if previous is not None:
            delta = record.diff_against(previous)
            for change in delta.changes:
                old, new = change.old, change.new
                if change.field == "severity":
                    old, new = severity_names.get(old, old), severity_names.get(new, new)
                changes[change.field] = [_plain(old), _plain(new)]
        out.append(
            {
                "history_id": record.history_id,
                "history_date": record.history_date,
                "history_type": {"+": "created", "~": "changed", "-": "deleted"}[
                    record.history_type
                ],
                "history_user": record.history_user.get_username() if record.history_user else None,
                "status": record.status,
                "severity": severity_names.get(record.severity_id),
                "changes": changes,
            }
        )
        previous = record
    return out


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, str | int | bool | float):
        return value
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


# --- pages (web app) -------------------------------------------------------------------


def incident_open_list(*, user: User) -> QuerySet[Incident]:
    """Open incidents of the user's teams, most severe first, then newest."""
    return (
        incident_list(user=user)
        .filter(status__in=OPEN_STATUSES)
        .order_by("severity__level", "-triggered_at", "-id")
    )


def incident_open_counts_by_severity(*, user: User) -> list[dict[str, Any]]:
    """[{"name": "SEV1", "label": "critical", "count": 2}, …] for every severity."""
    counts = dict(
        team_scoped(Incident.objects.filter(status__in=OPEN_STATUSES), user=user)
        .values_list("severity__name")
        .annotate(n=Count("id"))
        .order_by()
    )
    return [
        {"name": s.name, "label": s.label, "count": counts.get(s.name, 0)} for s in severity_list()
    ]


def incident_pending_acknowledgement_list(*, user: User) -> QuerySet[Incident]:
    """Incidents of the user's teams that nobody has acknowledged yet. (When the on-call
    engine lands this becomes "pages sent to me and not acknowledged".)"""
    return (
        incident_list(user=user)
        .filter(status=IncidentStatus.TRIGGERED)
        .order_by("severity__level", "triggered_at", "id")
    )


def service_under_maintenance(*, service: Service, at: datetime | None = None) -> bool:
    """For alert ingestion: alerts for a service in an active window are recorded
    without paging."""
    at = at or timezone.now()
    return MaintenanceWindow.objects.filter(
        services=service, starts_at__lte=at, ends_at__gt=at
    ).exists()


def services_maintenance_until(
    *, service_ids: list[int], at: datetime | None = None
) -> dict[int, datetime]:
    """For paging: {service id: end of its active maintenance window} for the services
    that are under maintenance at ``at`` (the latest end when windows overlap), in one
    query. A service is missing when :func:`service_under_maintenance` would say False."""
    at = at or timezone.now()
    through = MaintenanceWindow.services.through
    rows = through.objects.filter(
        service_id__in=service_ids,
        maintenancewindow__starts_at__lte=at,
        maintenancewindow__ends_at__gt=at,
    ).values_list("service_id", "maintenancewindow__ends_at")
    until: dict[int, datetime] = {}
    for service_id, ends_at in rows:
        until[service_id] = max(ends_at, until.get(service_id, ends_at))
    return until
