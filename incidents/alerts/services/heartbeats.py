"""Heartbeat monitors: create, delete, ping, and the beat that turns a missed ping into an
incident. An expiry is an alert like any other: a trigger through ``alert_ingest`` on the
monitor's integration with the dedup key ``heartbeat:<id>`` (deduplicated, paged, storms
grouped as usual); the next ping sends the resolve event for that key (which resolves the
incident when the integration has ``auto_resolve``)."""

from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.models import User as AuthUser
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from common.errors import Conflict, InvalidInput, NotFound
from incidents.alerts.models import HeartbeatMonitor, Integration
from incidents.alerts.parsers.events import RESOLVE, TRIGGER, NormalizedEvent
from incidents.alerts.services.ingest import alert_ingest
from incidents.models import Service
from incidents.selectors import User
from oncall.teams.models import Team
from oncall.teams.selectors import team_scoped
from oncall.teams.services import team_require_manager

MIN_INTERVAL_SECONDS = 60
MAX_INTERVAL_SECONDS = 31 * 24 * 3600
CHECK_BATCH = 500


def heartbeat_dedup_key(monitor: HeartbeatMonitor) -> str:
    return f"heartbeat:{monitor.pk}"


def interval_text(seconds: int) -> str:
    """``3600`` → "1 hour", ``90`` → "90 seconds": the largest unit that divides it."""
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}{'' if count == 1 else 's'}"
    return f"{seconds} seconds"


# --- reads -------------------------------------------------------------------------------


def heartbeat_monitor_list(*, user: User) -> QuerySet[HeartbeatMonitor]:
    """Monitors of the user's teams, with what a list renders."""
    return team_scoped(
        HeartbeatMonitor.objects.select_related("team", "service", "integration"), user=user
    ).order_by("team_id", "name")


def heartbeat_monitor_get(*, user: User, monitor_id: Any) -> HeartbeatMonitor:
    try:
        return heartbeat_monitor_list(user=user).get(pk=int(monitor_id))
    except (HeartbeatMonitor.DoesNotExist, TypeError, ValueError, OverflowError):
        raise NotFound("Heartbeat monitor not found.") from None


# --- writes ------------------------------------------------------------------------------


@transaction.atomic
def heartbeat_monitor_create(
    *,
    actor: AuthUser | None,
    team: Team,
    name: str,
    interval_seconds: int,
    integration: Integration,
    service: Service | None = None,
    enabled: bool = True,
) -> HeartbeatMonitor:
    """A monitor of ``team``; it expires ``interval_seconds`` after creation unless pinged."""
    team_require_manager(actor=actor, team=team, to="manage its heartbeat monitors")
    name = (name or "").strip()
    errors: dict[str, list[str]] = {}
    if not name:
        errors["name"] = ["This field is required."]
    elif "/" in name:
        errors["name"] = ["A heartbeat name cannot contain '/' (it is part of the ping URL)."]
    if (
        not isinstance(interval_seconds, int)
        or not MIN_INTERVAL_SECONDS <= interval_seconds <= MAX_INTERVAL_SECONDS
    ):
        errors["interval_seconds"] = [
            f"Must be between {MIN_INTERVAL_SECONDS} and {MAX_INTERVAL_SECONDS} seconds."
        ]
    if integration.team_id != team.pk:
        errors["integration"] = ["The integration must belong to the monitor's team."]
    if service is not None and service.team_id != team.pk:
        errors["service"] = ["The service must belong to the monitor's team."]
    if errors:
        raise InvalidInput("Invalid heartbeat monitor.", errors=errors)
    if HeartbeatMonitor.objects.filter(team=team, name=name).exists():
        raise Conflict(
            f"Team {team.name} already has a heartbeat named {name!r}.",
            errors={"name": ["Already used in this team."]},
        )
    now = timezone.now()
    try:
        with transaction.atomic():
            return HeartbeatMonitor.objects.create(
                team=team,
                service=service,
                integration=integration,
                name=name,
                interval_seconds=interval_seconds,
                enabled=enabled,
                expires_at=now + timedelta(seconds=interval_seconds),
            )
    except IntegrityError:  # created concurrently under the same name
        raise Conflict(
            f"Team {team.name} already has a heartbeat named {name!r}.",
            errors={"name": ["Already used in this team."]},
        ) from None


@transaction.atomic
def heartbeat_monitor_delete(*, actor: AuthUser | None, monitor: HeartbeatMonitor) -> None:
    """Delete a monitor; an incident it opened stays as it is (people resolve it)."""
    team_require_manager(actor=actor, team=monitor.team, to="manage its heartbeat monitors")
    HeartbeatMonitor.objects.filter(pk=monitor.pk).delete()


def heartbeat_ping(*, integration: Integration, name: str) -> HeartbeatMonitor:
    """Record a ping of the integration's monitor ``name`` (NotFound when it has none):
    the monitor's next expiry moves on; an expired monitor is cleared and its alert
    resolved, in the same transaction."""
    now = timezone.now()
    with transaction.atomic():
        monitor = (
            HeartbeatMonitor.objects.select_for_update()
            .filter(integration=integration, name=(name or "").strip())
            .first()
        )
        if monitor is None:
            raise NotFound(f"No heartbeat named {name!r} for this integration.")
        was_expired = monitor.expired
        monitor.last_ping_at = now
        monitor.expires_at = now + timedelta(seconds=monitor.interval_seconds)
        monitor.expired = False
        monitor.save(update_fields=["last_ping_at", "expires_at", "expired"])
        if was_expired:
            alert_ingest(
                integration=integration,
                event=NormalizedEvent(
                    action=RESOLVE,
                    dedup_key=heartbeat_dedup_key(monitor),
                    payload={"heartbeat": monitor.name, "pinged_at": now.isoformat()},
                ),
            )
    return monitor


def _expiry_event(monitor: HeartbeatMonitor, now: datetime) -> NormalizedEvent:
    last = monitor.last_ping_at.isoformat() if monitor.last_ping_at else None
    return NormalizedEvent(
        action=TRIGGER,
        dedup_key=heartbeat_dedup_key(monitor),
        payload={
            "heartbeat": monitor.name,
            "interval_seconds": monitor.interval_seconds,
            "last_ping_at": last,
            "expired_at": monitor.expires_at.isoformat(),
        },
        summary=(
            f"Heartbeat {monitor.name} expired: no ping for "
            f"{interval_text(monitor.interval_seconds)}"
        ),
        source="heartbeat",
        name=f"heartbeat {monitor.name}",
        labels={"heartbeat": monitor.name},
        details={"last_ping_at": last},
        timestamp=now,
    )


def heartbeats_check(*, now: datetime | None = None, limit: int = CHECK_BATCH) -> int:
    """Beat: mark every due monitor expired and trigger its alert, one transaction per
    monitor (a failing one does not hold back the others). Due rows are taken with SKIP
    LOCKED and re-checked under their lock, so two concurrent runs never trigger the same
    monitor twice (and a repeat would only be deduplicated onto the open alert). Returns
    the number of monitors that expired."""
    now = now or timezone.now()
    due_ids = list(
        HeartbeatMonitor.objects.filter(
            enabled=True, expired=False, expires_at__lt=now, integration__enabled=True
        )
        .order_by("expires_at")
        .values_list("pk", flat=True)[:limit]
    )
    expired = 0
    for monitor_id in due_ids:
        with transaction.atomic():
            monitor = (
                HeartbeatMonitor.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("integration")
                .filter(pk=monitor_id, enabled=True, expired=False, expires_at__lt=now)
                .first()
            )
            if monitor is None:
                continue  # pinged, or taken by a concurrent run, since the scan
            monitor.expired = True
            monitor.save(update_fields=["expired"])
            alert_ingest(integration=monitor.integration, event=_expiry_event(monitor, now))
            expired += 1
    return expired
