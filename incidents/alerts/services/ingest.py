"""Applying an alert event: ``alert_ingest`` (the keyed webhooks, synchronously) and the
steps the Events API inbox shares with it, which turn a NormalizedEvent into an alert and,
for a new dedup key, an incident (through ``incidents.services`` like every other writer).

Deduplication is a database invariant: at most one *open* alert per integration and
dedup key (a partial unique index). A trigger first tries to bump the open alert; only
when there is none does it insert one, and a concurrent identical trigger then waits on
the index, fails (``AlertAlreadyOpen``), and bumps the winner's alert instead of opening
a second incident. Acknowledge and resolve change the open alert and, through the
lifecycle services, its incident; an incident resolved by anyone closes its alerts.
"""

import contextlib
from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, connection, transaction
from django.db.models.functions import Coalesce
from django.utils import timezone

from common.errors import Conflict, InvalidInput
from incidents import services
from incidents.alerts.models import (
    Alert,
    AlertEvent,
    AlertStatus,
    Integration,
)
from incidents.alerts.parsers.events import ACKNOWLEDGE, RESOLVE, TRIGGER, NormalizedEvent
from incidents.alerts.services.integrations import severity_source_key
from incidents.alerts.services.storms import integration_is_storming, storm_incident_get_or_declare
from incidents.models import (
    Incident,
    IncidentStatus,
    Severity,
    TimelineEventKind,
)
from incidents.signals import alert_received


@dataclass(frozen=True)
class IngestResult:
    dedup_key: str
    alert_id: int | None
    incident_id: int | None
    created: bool  # a new alert (and incident, unless grouped into a storm)
    deduplicated: bool


def _severity_for(integration: Integration, source_severity: str) -> Severity:
    # Keys are normalised when saved; rows saved before that are normalised here too.
    mapping = {
        severity_source_key(key): value
        for key, value in (integration.severity_mapping or {}).items()
    }
    name = mapping.get(severity_source_key(source_severity or ""))
    by_name = {s.name: s for s in Severity.objects.all()}  # a handful of rows
    for candidate in (name, integration.default_severity, "SEV3"):
        if candidate and candidate in by_name:
            return by_name[candidate]
    if by_name:
        return max(by_name.values(), key=lambda s: s.level)
    raise Conflict("No severities are defined.")


def alert_bump_open(
    *,
    integration: Integration,
    event: NormalizedEvent,
    now: datetime,
    store: bool = True,
    repeats: int = 1,
) -> tuple[int, int | None] | None:
    """Count a repeat of the open alert and store the event. Returns (alert_id,
    incident_id), or None when the key has no open alert (nothing is written then).

    This is the hot path, so it is raw SQL: on PostgreSQL one statement (a data-modifying
    CTE: UPDATE … RETURNING feeding the event INSERT), i.e. one round trip and one
    commit in autocommit; elsewhere UPDATE … RETURNING then the INSERT. Alert keeps no
    history (it is written only here), so an UPDATE is fine.

    ``repeats`` (events already in the inbox only, ``store=False``): the inbox folds a
    run of consecutive repeats into one bump, counting them all and keeping ``event``,
    the run's last, as the alert's latest payload."""
    if repeats < 1 or (store and repeats != 1):
        raise ValueError("repeats counts events already stored (store=False), at least 1")
    ops = connection.ops
    alert_table = ops.quote_name(Alert._meta.db_table)
    event_table = ops.quote_name(AlertEvent._meta.db_table)
    payload = Alert._meta.get_field("payload").get_db_prep_save(event.payload, connection)
    stamp = ops.adapt_datetimefield_value(now)
    bump = (
        f"UPDATE {alert_table} SET count = count + %s, last_seen = %s, payload = %s, "  # noqa: S608 - table names from the models
        f"status = %s, resolved_at = NULL "
        f"WHERE integration_id = %s AND dedup_key = %s AND is_open "
        f"RETURNING id, incident_id"
    )
    bump_params = [
        repeats,
        stamp,
        payload,
        AlertStatus.TRIGGERED,
        integration.pk,
        event.dedup_key,
    ]
    with connection.cursor() as cursor:
        if not store:  # an event of the inbox, stored when it arrived
            cursor.execute(bump, bump_params)
            return cursor.fetchone()
        if connection.vendor == "postgresql":
            cursor.execute(
                f"WITH bumped AS ({bump}), stored AS ("  # noqa: S608 - table names from the models
                f"INSERT INTO {event_table} "
                f"(integration_id, alert_id, action, dedup_key, payload, received_at, "
                f"processed_at) SELECT %s, id, %s, %s, %s, %s, %s FROM bumped) "
                f"SELECT id, incident_id FROM bumped",
                [
                    *bump_params,
                    integration.pk,
                    event.action,
                    event.dedup_key,
                    payload,
                    stamp,
                    stamp,
                ],
            )
            return cursor.fetchone()
        with transaction.atomic():
            cursor.execute(bump, bump_params)
            row = cursor.fetchone()
            if row is not None:
                _store_event(integration, event, row[0], now)
            return row


def _incident_summary(event: NormalizedEvent) -> str:
    lines = [event.summary]
    if event.source:
        lines.append(f"Source: {event.source}")
    for key in ("component", "group", "class"):
        if event.details.get(key):
            lines.append(f"{key.capitalize()}: {event.details[key]}")
    return "\n".join(lines)


def alert_open_new(
    *,
    integration: Integration,
    event: NormalizedEvent,
    now: datetime,
    store: bool = True,
    drill: bool = False,
) -> Alert:
    """Open the key's alert, and store the event unless it is in the inbox already: the
    alert declares its incident, or joins the integration's storm incident. Raises
    AlertAlreadyOpen when a concurrent identical event opened it first. ``drill``: the
    incident is a game day's (never grouped into a storm)."""
    severity = _severity_for(integration, event.severity)
    try:
        with transaction.atomic():
            alert = Alert.objects.create(
                integration=integration,
                dedup_key=event.dedup_key,
                summary=event.summary[:1024],
                source=event.source[:255],
                severity=severity,
                source_severity=event.severity[:50],
                name=event.name[:255],
                labels=event.labels,
                payload=event.payload,
                first_seen=now,
                last_seen=now,
            )
    except IntegrityError:
        # A concurrent identical event opened it first; ours becomes a repeat.
        raise AlertAlreadyOpen from None
    if store:
        _store_event(integration, event, alert.pk, now)
    if not drill and integration_is_storming(integration=integration, alert=alert, now=now):
        incident = storm_incident_get_or_declare(integration=integration, severity=severity)
        alert.storm = True
        services.timeline_event_create(
            incident=incident,
            kind=TimelineEventKind.ALERT,
            message=f"Alert grouped into the storm: {event.summary[:200]}",
            data={"alert": alert.pk, "dedup_key": event.dedup_key},
        )
    else:
        incident = services.incident_create(
            actor=None,
            team=integration.team,
            title=(event.summary or event.name or "Alert")[:255],
            severity=severity,
            summary=_incident_summary(event),
            services=[integration.service] if integration.service_id else [],
            source=integration.kind,
            dedup_key=event.dedup_key,
            is_drill=drill,
        )
    alert.incident = incident
    alert.save(update_fields=["incident", "storm"])
    # Inside the ingest transaction: runbooks attach with the incident, or not at all.
    alert_received.send(
        sender=Alert,
        incident=incident,
        alert=alert,
        alert_name=alert.name,
        labels=dict(alert.labels or {}),
        created_incident=not alert.storm,
    )
    return alert


class AlertAlreadyOpen(Exception):
    """A concurrent identical trigger opened the alert first: bump that one instead."""


def alert_acknowledge_or_resolve(
    *, integration: Integration, event: NormalizedEvent, now: datetime
) -> Alert | None:
    """Apply an acknowledge or resolve event to the key's open alert (locked) and its
    incident; None when the key has no open alert. With ``auto_resolve`` the alert closes
    and the incident resolves once every alert of it has."""
    alert = (
        Alert.objects.select_for_update()
        .filter(integration=integration, dedup_key=event.dedup_key, is_open=True)
        .first()
    )
    if alert is None:
        return None  # nothing open under that key: kept as an event, nothing to change
    alert.last_seen = now
    alert.payload = event.payload
    fields = ["last_seen", "payload", "status"]
    label = integration.name
    if event.action == ACKNOWLEDGE:
        alert.status = AlertStatus.ACKNOWLEDGED
        alert.save(update_fields=fields)
        _transition_quietly(
            services.incident_acknowledge,
            incident_id=alert.incident_id,
            only_from=IncidentStatus.TRIGGERED,
            message=f"Acknowledged by integration {label}",
        )
        return alert
    alert.status = AlertStatus.RESOLVED
    alert.resolved_at = now
    fields.append("resolved_at")
    if integration.auto_resolve:
        # Closed: the next trigger with this key opens a new incident.
        alert.is_open = False
        fields.append("is_open")
    alert.save(update_fields=fields)
    if (
        integration.auto_resolve
        and alert.incident_id
        and not Alert.objects.filter(incident_id=alert.incident_id, is_open=True).exists()
    ):
        _transition_quietly(
            services.incident_resolve,
            incident_id=alert.incident_id,
            only_from=None,
            message=f"Resolved by integration {label}: every alert resolved",
        )
    return alert


def _transition_quietly(action, *, incident_id: int | None, only_from: str | None, message: str):
    """Apply a lifecycle action for the system; a person may already have moved the
    incident on, which is not an error for the sender of the alert."""
    if incident_id is None:
        return
    status = Incident.objects.filter(pk=incident_id).values_list("status", flat=True).first()
    if status is None or status == IncidentStatus.RESOLVED:
        return
    if only_from is not None and status != only_from:
        return
    with contextlib.suppress(Conflict):  # moved on concurrently
        action(incident=incident_id, actor=None, message=message)


def _store_event(
    integration: Integration, event: NormalizedEvent, alert_id: int | None, now: datetime
) -> None:
    AlertEvent.objects.create(
        integration=integration,
        alert_id=alert_id,
        action=event.action,
        dedup_key=event.dedup_key,
        payload=event.payload,
        received_at=now,
        processed_at=now,
    )


def alert_ingest(
    *, integration: Integration, event: NormalizedEvent, drill: bool = False
) -> IngestResult:
    """Store the event and apply it; return when committed. A repeated trigger is one
    statement; anything else is one short transaction. ``drill`` (Python callers only:
    the drill service, never a payload field): a new incident is a game day's."""
    for _attempt in range(3):
        now = timezone.now()
        if event.action == TRIGGER:
            bumped = alert_bump_open(integration=integration, event=event, now=now)
            if bumped is not None:
                return IngestResult(
                    dedup_key=event.dedup_key,
                    alert_id=bumped[0],
                    incident_id=bumped[1],
                    created=False,
                    deduplicated=True,
                )
        try:
            with transaction.atomic():
                created = False
                alert_id = incident_id = None
                if event.action == TRIGGER:
                    # Stores the event itself, before declaring the incident (which
                    # holds the team's numbering lock until commit).
                    alert = alert_open_new(
                        integration=integration, event=event, now=now, drill=drill
                    )
                    alert_id, incident_id, created = alert.pk, alert.incident_id, True
                elif event.action in (ACKNOWLEDGE, RESOLVE):
                    alert = alert_acknowledge_or_resolve(
                        integration=integration, event=event, now=now
                    )
                    if alert is not None:
                        alert_id, incident_id = alert.pk, alert.incident_id
                    _store_event(integration, event, alert_id, now)
                else:
                    raise InvalidInput(f"Unknown event action {event.action!r}.")
                return IngestResult(
                    dedup_key=event.dedup_key,
                    alert_id=alert_id,
                    incident_id=incident_id,
                    created=created,
                    deduplicated=False,
                )
        except AlertAlreadyOpen:
            continue  # the winner has committed: the next attempt bumps its alert
    raise Conflict("The event could not be applied; retry it.")


def alerts_close_for_incident(*, incident: Incident) -> int:
    """An incident was resolved (by anyone): its alerts close, so the same dedup key
    opens a new incident next time."""
    return Alert.objects.filter(incident=incident, is_open=True).update(
        is_open=False,
        status=AlertStatus.RESOLVED,
        resolved_at=Coalesce("resolved_at", timezone.now()),
    )
