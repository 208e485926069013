"""Alert ingestion services: integrations (create, update, rotate the key), the rate
limit, and ``alert_ingest``, which turns a NormalizedEvent into an alert and, for a new
dedup key, an incident (through ``incidents.services`` like every other writer).

Deduplication is a database invariant: at most one *open* alert per integration and
dedup key (a partial unique index). A trigger first tries to bump the open alert; only
when there is none does it insert one, and a concurrent identical trigger then waits on
the index, fails, and bumps the winner's alert instead of opening a second incident.
"""

import contextlib
import dataclasses
import functools
import hashlib
import json
import logging
import secrets
import threading
import time
import weakref
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NoReturn

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import DEFAULT_DB_ALIAS, IntegrityError, connection, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from config.errors import Conflict, InvalidInput, NotFound, RateLimited
from config.history import attribute_history, save_changed
from incidents import services
from incidents.integrations import events_v2
from incidents.integrations.events import ACKNOWLEDGE, RESOLVE, TRIGGER, NormalizedEvent
from incidents.models import (
    OPEN_STATUSES,
    Alert,
    AlertEvent,
    AlertStatus,
    Incident,
    IncidentStatus,
    IngestRateWindow,
    Integration,
    IntegrationKind,
    Service,
    Severity,
    TimelineEventKind,
)
from incidents.models.alerts import routing_key_hash
from incidents.signals import alert_received
from oncall.models import Team
from oncall.services import team_require_manager

logger = logging.getLogger(__name__)

STORM_WINDOW = timedelta(minutes=1)
INTEGRATION_FIELDS = (
    "name",
    "service",
    "enabled",
    "severity_mapping",
    "default_severity",
    "auto_resolve",
    "rate_limit_per_minute",
    "storm_threshold_per_minute",
    "title_path",
    "dedup_key_path",
    "severity_path",
    "resolve_path",
    "resolve_value",
)


# --- integrations ---------------------------------------------------------------------


def _new_routing_key() -> str:
    # 32 characters, like PagerDuty's integration keys (some clients check the length).
    return secrets.token_hex(16)


def _validate_integration(team: Team, fields: dict[str, Any]) -> None:
    errors: dict[str, list[str]] = {}
    service = fields.get("service")
    if isinstance(service, Service) and service.team_id != team.pk:
        errors["service"] = ["The service must belong to the integration's team."]
    names = set(Severity.objects.values_list("name", flat=True))
    mapping = fields.get("severity_mapping")
    if mapping is not None:
        if not isinstance(mapping, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in mapping.items()
        ):
            errors["severity_mapping"] = ['Must map source severities to names, e.g. "SEV1".']
        else:
            unknown = sorted({v for v in mapping.values() if v not in names})
            if unknown:
                errors["severity_mapping"] = [f"Unknown severity {name!r}." for name in unknown]
    default = fields.get("default_severity")
    if default is not None and default not in names:
        errors["default_severity"] = [f"Unknown severity {default!r}."]
    if fields.get("resolve_path") and not fields.get("resolve_value", "x"):
        errors["resolve_value"] = ["Needed with resolve_path (the value that means resolved)."]
    if errors:
        raise InvalidInput("Invalid integration settings.", errors=errors)


@transaction.atomic
def integration_create(
    *,
    actor: AbstractBaseUser | None,
    team: Team,
    name: str,
    kind: str,
    **fields: Any,
) -> tuple[Integration, str]:
    """Create an integration; returns it with its routing key (shown this once)."""
    team_require_manager(actor=actor, team=team, to="manage its integrations")
    if kind not in IntegrationKind.values:
        raise InvalidInput(
            f"Unknown integration kind {kind!r}.",
            errors={"kind": [f"Choose one of {', '.join(IntegrationKind.values)}."]},
        )
    unknown = sorted(set(fields) - set(INTEGRATION_FIELDS))
    if unknown:
        raise InvalidInput("Unknown fields.", errors={k: ["Unknown field."] for k in unknown})
    name = name.strip()
    _validate_integration(team, fields)
    if Integration.objects.filter(team=team, name=name).exists():
        raise Conflict(
            f"Team {team.name} already has an integration named {name!r}.",
            errors={"name": ["Already used in this team."]},
        )
    key = _new_routing_key()
    integration = Integration(
        team=team,
        name=name,
        kind=kind,
        routing_key_hash=routing_key_hash(key),
        routing_key_hint=key[:6],
        **fields,
    )
    attribute_history(integration, actor).save()
    return integration, key


@transaction.atomic
def integration_update(
    *, actor: AbstractBaseUser | None, integration: Integration, **fields: Any
) -> Integration:
    locked = Integration.objects.select_for_update().select_related("team").get(pk=integration.pk)
    team_require_manager(actor=actor, team=locked.team, to="manage its integrations")
    unknown = sorted(set(fields) - set(INTEGRATION_FIELDS))
    if unknown:
        raise InvalidInput("Unknown fields.", errors={k: ["Not editable."] for k in unknown})
    _validate_integration(locked.team, fields)
    if "name" in fields:
        fields["name"] = fields["name"].strip()
        if (
            Integration.objects.filter(team=locked.team, name=fields["name"])
            .exclude(pk=locked.pk)
            .exists()
        ):
            raise Conflict(
                "Another integration of this team has that name.",
                errors={"name": ["Already used in this team."]},
            )
    save_changed(locked, actor, fields)
    return locked


@transaction.atomic
def integration_rotate_key(
    *, actor: AbstractBaseUser | None, integration: Integration
) -> tuple[Integration, str]:
    """Replace the routing key; the old one stops working at once."""
    locked = Integration.objects.select_for_update().select_related("team").get(pk=integration.pk)
    team_require_manager(actor=actor, team=locked.team, to="manage its integrations")
    key = _new_routing_key()
    locked.routing_key_hash = routing_key_hash(key)
    locked.routing_key_hint = key[:6]
    attribute_history(locked, actor).save(update_fields=["routing_key_hash", "routing_key_hint"])
    return locked, key


def integration_by_routing_key(routing_key: str) -> Integration | None:
    """The enabled integration with that key (one indexed lookup on its digest)."""
    if not isinstance(routing_key, str) or not routing_key or len(routing_key) > 200:
        return None
    # No ordering (the default one, team name then name, would add a join and a sort)
    # and no team: most events are repeats, which do not need it; a new incident loads it.
    found = list(
        Integration.objects.filter(
            routing_key_hash=routing_key_hash(routing_key), enabled=True
        ).order_by()[:1]
    )
    return found[0] if found else None


# --- rate limit -----------------------------------------------------------------------


def ingest_rate_check(*, integration: Integration, now: datetime | None = None) -> None:
    """Count this event in the integration's current minute and raise RateLimited past
    its limit. One statement in autocommit, outside the ingest transaction, so the
    counter row is locked only for that statement."""
    limit = integration.rate_limit_per_minute
    if not limit:
        return
    now = now or timezone.now()
    window = now.replace(second=0, microsecond=0)
    table = connection.ops.quote_name(IngestRateWindow._meta.db_table)
    if connection.vendor == "postgresql":
        # This session's row, plus the other sessions' rows of the window. The
        # statement's own (implicit) transaction does not wait for the WAL flush at
        # commit: a counter lost in a crash costs nothing, and this saves a disk sync
        # per event (the event itself is committed durably).
        sql = (
            f"WITH counted AS (INSERT INTO {table} (integration_id, window_start, shard, count) "  # noqa: S608 - table name from the model
            f"SELECT %s, %s, pg_backend_pid(), 1 "
            f"FROM (SELECT set_config('synchronous_commit', 'off', true)) AS quick "
            f"ON CONFLICT (integration_id, window_start, shard) "
            f"DO UPDATE SET count = {table}.count + 1 RETURNING count) "
            f"SELECT (SELECT count FROM counted) + COALESCE((SELECT sum(count) FROM {table} "
            f"WHERE integration_id = %s AND window_start = %s AND shard <> pg_backend_pid()), 0)"
        )
        params = [integration.pk, window, integration.pk, window]
    else:  # one writer at a time: one row per window
        sql = (
            f"INSERT INTO {table} (integration_id, window_start, shard, count) "  # noqa: S608 - table name from the model
            f"VALUES (%s, %s, 0, 1) ON CONFLICT (integration_id, window_start, shard) "
            f"DO UPDATE SET count = {table}.count + 1 RETURNING count"
        )
        params = [integration.pk, connection.ops.adapt_datetimefield_value(window)]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        count = cursor.fetchone()[0]
    if count > limit:
        _raise_rate_limited(integration.name, limit, window, now)


def ingest_rate_windows_prune(*, older_than: timedelta = timedelta(hours=1)) -> int:
    cutoff = timezone.now() - older_than
    deleted, _ = IngestRateWindow.objects.filter(window_start__lt=cutoff).delete()
    return deleted


def alert_events_prune(*, older_than: timedelta) -> int:
    cutoff = timezone.now() - older_than
    # An event still in the inbox is kept until it has been applied.
    deleted, _ = AlertEvent.objects.filter(
        received_at__lt=cutoff, processed_at__isnull=False
    ).delete()
    return deleted


# --- ingestion ------------------------------------------------------------------------


@dataclass(frozen=True)
class IngestResult:
    dedup_key: str
    alert_id: int | None
    incident_id: int | None
    created: bool  # a new alert (and incident, unless grouped into a storm)
    deduplicated: bool


def _severity_for(integration: Integration, source_severity: str) -> Severity:
    mapping = integration.severity_mapping or {}
    name = mapping.get(source_severity) or mapping.get((source_severity or "").lower())
    by_name = {s.name: s for s in Severity.objects.all()}  # a handful of rows
    for candidate in (name, integration.default_severity, "SEV3"):
        if candidate and candidate in by_name:
            return by_name[candidate]
    if by_name:
        return max(by_name.values(), key=lambda s: s.level)
    raise Conflict("No severities are defined.")


def _bump_open_alert(
    integration: Integration, event: NormalizedEvent, now: datetime, *, store: bool = True
):
    """Count a repeat of the open alert and store the event. Returns (alert_id,
    incident_id), or None when the key has no open alert (nothing is written then).

    This is the hot path, so it is raw SQL: on PostgreSQL one statement (a data-modifying
    CTE: UPDATE … RETURNING feeding the event INSERT), i.e. one round trip and one
    commit in autocommit; elsewhere UPDATE … RETURNING then the INSERT. Alert keeps no
    history (it is written only here), so an UPDATE is fine."""
    ops = connection.ops
    alert_table = ops.quote_name(Alert._meta.db_table)
    event_table = ops.quote_name(AlertEvent._meta.db_table)
    payload = Alert._meta.get_field("payload").get_db_prep_save(event.payload, connection)
    stamp = ops.adapt_datetimefield_value(now)
    bump = (
        f"UPDATE {alert_table} SET count = count + 1, last_seen = %s, payload = %s, "  # noqa: S608 - table names from the models
        f"status = %s, resolved_at = NULL "
        f"WHERE integration_id = %s AND dedup_key = %s AND is_open "
        f"RETURNING id, incident_id"
    )
    bump_params = [stamp, payload, AlertStatus.TRIGGERED, integration.pk, event.dedup_key]
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


def _storm_incident(integration: Integration, severity: Severity, now: datetime) -> Incident:
    """The integration's open alert-storm incident, declared when the first alert of a
    storm arrives. The integration row is locked so concurrent storm alerts share one."""
    storm_key = f"storm:{integration.pk}"
    open_storms = Incident.objects.filter(
        team_id=integration.team_id, dedup_key=storm_key, status__in=OPEN_STATUSES
    ).order_by("-id")
    storm = open_storms.first()
    if storm is not None:
        return storm
    # NO KEY: a plain FOR UPDATE would block the foreign-key checks (FOR KEY SHARE) of
    # concurrent alert inserts, which hold the team's numbering lock: a deadlock.
    Integration.objects.select_for_update(no_key=True).only("pk").get(pk=integration.pk)
    storm = open_storms.first()  # declared by another event while we waited for the lock
    if storm is not None:
        return storm
    threshold = integration.storm_threshold_per_minute
    return services.incident_create(
        actor=None,
        team=integration.team,
        title=f"Alert storm from {integration.name}",
        severity=severity,
        summary=(
            f"More than {threshold} new alerts per minute arrived from integration "
            f"{integration.name}; further new alerts are grouped into this incident "
            "instead of paging for each."
        ),
        services=[integration.service] if integration.service_id else [],
        source=integration.kind,
        dedup_key=storm_key,
    )


def _storming(integration: Integration, alert: Alert, now: datetime) -> bool:
    threshold = integration.storm_threshold_per_minute
    if not threshold:
        return False
    recent = (
        Alert.objects.filter(integration=integration, first_seen__gte=now - STORM_WINDOW)
        .exclude(pk=alert.pk)
        .count()
    )
    return recent >= threshold


def _open_new_alert(
    integration: Integration, event: NormalizedEvent, now: datetime, *, store: bool = True
) -> Alert:
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
        raise _Deduplicated from None
    if store:
        _store_event(integration, event, alert.pk, now)
    if _storming(integration, alert, now):
        incident = _storm_incident(integration, severity, now)
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


class _Deduplicated(Exception):
    pass


def _acknowledge_or_resolve(
    integration: Integration, event: NormalizedEvent, now: datetime
) -> Alert | None:
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


def alert_ingest(*, integration: Integration, event: NormalizedEvent) -> IngestResult:
    """Store the event and apply it; return when committed. A repeated trigger is one
    statement; anything else is one short transaction."""
    for _attempt in range(3):
        now = timezone.now()
        if event.action == TRIGGER:
            bumped = _bump_open_alert(integration, event, now)
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
                    alert = _open_new_alert(integration, event, now)
                    alert_id, incident_id, created = alert.pk, alert.incident_id, True
                elif event.action in (ACKNOWLEDGE, RESOLVE):
                    alert = _acknowledge_or_resolve(integration, event, now)
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
        except _Deduplicated:
            continue  # the winner has committed: the next attempt bumps its alert
    raise Conflict("The event could not be applied; retry it.")


# --- the Events API inbox: receive now, apply right after -------------------------------
#
# ``POST /v2/enqueue`` is asynchronous, like PagerDuty's own "enqueue": the request
# resolves the integration, counts the rate limit and stores the raw event durably, then
# answers 202. Applying it (deduplication, incident, acknowledge/resolve, storms, pages)
# is ``alert_events_process``, run by a Celery task sent on commit, and by the inbox
# sweep for an event whose task was lost. Events of one (integration, dedup key) are
# applied one key at a time (a transaction-scoped advisory lock on PostgreSQL) in arrival
# order, so trigger → acknowledge → resolve keep their order whichever worker runs them.

_RECEIVE_SQL = (
    # The whole hot path in one statement, i.e. one round trip and one (durable)
    # commit in autocommit: the integration by its key digest; this event counted in
    # the rate-limit row of this session (no other session writes it, so holding its
    # lock until the commit's WAL flush delays nobody); the window's total (the other
    # sessions' rows as committed, plus this one); and, within the limit, the event
    # stored. No row: unknown key; no event id: over the limit.
    # $1 key digest, $2 window start, $3 action, $4 dedup key, $5 payload, $6 now.
    "WITH found AS ("
    "SELECT id, name, rate_limit_per_minute AS rate_limit FROM {integration} "
    "WHERE routing_key_hash = $1 AND enabled), "
    "counted AS ("
    "INSERT INTO {window} (integration_id, window_start, shard, count) "
    "SELECT id, $2, pg_backend_pid(), 1 FROM found WHERE rate_limit > 0 "
    "ON CONFLICT (integration_id, window_start, shard) "
    "DO UPDATE SET count = {window}.count + 1 RETURNING count), "
    "total AS ("
    "SELECT (SELECT count FROM counted) + COALESCE(("
    "SELECT sum(w.count) FROM {window} w, found WHERE w.integration_id = found.id "
    "AND w.window_start = $2 AND w.shard <> pg_backend_pid()), 0) AS n), "
    "stored AS ("
    "INSERT INTO {event} (integration_id, action, dedup_key, payload, received_at) "
    "SELECT found.id, $3, $4, $5::jsonb, $6 "
    "FROM found, total WHERE found.rate_limit = 0 OR total.n <= found.rate_limit "
    "RETURNING id) "
    "SELECT found.name, found.rate_limit, (SELECT id FROM stored) FROM found, total"
)
# The server-side name of the prepared statement (versioned: a connection that
# outlives a deployment never runs an older text under this name).
_RECEIVE_STATEMENT = b"tocsin_alert_receive_v1"


def _raise_rate_limited(name: str, limit: int, window: datetime, now: datetime) -> NoReturn:
    retry_after = max(1, int((window + timedelta(minutes=1) - now).total_seconds() + 0.999))
    raise RateLimited(
        f"Integration {name} accepts {limit} events per minute; retry in {retry_after} s.",
        extra={"retry_after": retry_after},
    )


def _receive_postgresql(
    db: BaseDatabaseWrapper, routing_key: str, event: NormalizedEvent, now: datetime
) -> int:
    """The hot path: one statement, prepared on the connection once and then executed
    through libpq directly (psycopg's ``pq`` layer, which releases the GIL while it
    waits). Django opens its connections with prepared statements off, so they are not
    used for Django's own queries; this statement alone is one, parsed and planned once
    per connection (connections persist, CONN_MAX_AGE). Against psycopg's cursor this
    halves the Python CPU of the call (about 80 µs less per event, measured), and the
    prepared plan halves what PostgreSQL spends on it."""
    from psycopg import errors, pq

    window = now.replace(second=0, microsecond=0)
    params = [
        routing_key_hash(routing_key).encode(),
        window.isoformat().encode(),
        event.action.encode(),
        event.dedup_key.encode(),
        json.dumps(event.payload).encode(),
        now.isoformat().encode(),
    ]
    db.ensure_connection()
    raw = db.connection
    with db.wrap_database_errors:
        pgconn = raw.pgconn
        if not settings.ALERT_INGEST_PREPARED:
            result = pgconn.exec_params(_receive_sql(), params)
        else:
            if raw not in _prepared_on:
                _prepare_receive(raw)
            result = pgconn.exec_prepared(_RECEIVE_STATEMENT, params)
            if (
                result.status == pq.ExecStatus.FATAL_ERROR
                and result.error_field(pq.DiagnosticField.SQLSTATE) == b"26000"
                and pgconn.transaction_status == pq.TransactionStatus.IDLE
            ):
                # The server forgot it (a pooler reset the session): once more.
                _prepare_receive(raw)
                result = pgconn.exec_prepared(_RECEIVE_STATEMENT, params)
        if result.status != pq.ExecStatus.TUPLES_OK:
            raise errors.error_from_result(result, encoding=raw.info.encoding)
    if result.ntuples == 0:
        raise NotFound("No enabled integration has this routing key.")
    name, limit, event_id = (result.get_value(0, column) for column in range(3))
    if event_id is None:
        _raise_rate_limited(bytes(name or b"").decode(), int(limit or 0), window, now)
    return int(event_id)


# The connections the statement is prepared on (weak: they come and go with Django's).
_prepared_on: "weakref.WeakKeyDictionary[Any, bool]" = weakref.WeakKeyDictionary()


def _prepare_receive(raw: Any) -> None:
    from psycopg import errors, pq

    prepared = raw.pgconn.prepare(_RECEIVE_STATEMENT, _receive_sql())
    if prepared.status != pq.ExecStatus.COMMAND_OK:
        raise errors.error_from_result(prepared, encoding=raw.info.encoding)
    _prepared_on[raw] = True


@functools.cache
def _receive_sql() -> bytes:
    ops = connection.ops
    return _RECEIVE_SQL.format(
        integration=ops.quote_name(Integration._meta.db_table),
        window=ops.quote_name(IngestRateWindow._meta.db_table),
        event=ops.quote_name(AlertEvent._meta.db_table),
    ).encode()


def alert_event_receive(*, routing_key: str, event: NormalizedEvent) -> int:
    """Store a validated event in the inbox of the integration with that routing key and
    have it applied right after commit. Returns the stored event's id.

    Raises NotFound (no enabled integration has the key) or RateLimited. On PostgreSQL
    this is one statement (the lookup, the rate-limit count and the insert), committed
    durably before the caller answers."""
    now = timezone.now()
    if not isinstance(routing_key, str) or not routing_key or len(routing_key) > 200:
        raise NotFound("No enabled integration has this routing key.")
    db = connections[DEFAULT_DB_ALIAS]  # looked up once: the hot path
    if db.vendor == "postgresql":
        event_id = _receive_postgresql(db, routing_key, event, now)
    else:
        integration = integration_by_routing_key(routing_key)
        if integration is None:
            raise NotFound("No enabled integration has this routing key.")
        ingest_rate_check(integration=integration, now=now)
        event_id = AlertEvent.objects.create(
            integration=integration,
            action=event.action,
            dedup_key=event.dedup_key,
            payload=event.payload,
            received_at=now,
        ).pk
    if db.in_atomic_block:
        transaction.on_commit(_kick_inbox_drain)
    else:  # committed already (autocommit)
        _kick_inbox_drain()
    return event_id


_last_kick = 0.0
_kick_lock = threading.Lock()


def _kick_inbox_drain() -> None:
    """Have a worker apply what this process stored. Publishing a Celery task costs
    about 2 ms of CPU (kombu), more than a whole trivial request, so a process sends at
    most one per ``ALERT_INBOX_KICK_SECONDS``, delayed by as much: every event this
    process committed since its last kick was committed before that task runs, so the
    task sees it. (0 = one task per event, at once; the tests run so.)"""
    global _last_kick
    delay = settings.ALERT_INBOX_KICK_SECONDS
    if delay:
        now = time.monotonic()
        with _kick_lock:
            if now - _last_kick < delay:
                return  # the task sent at the last kick has not run yet: it covers this
            _last_kick = now
    from kombu.exceptions import KombuError

    from incidents.tasks import alert_inbox_drain

    try:
        alert_inbox_drain.apply_async(countdown=delay or None)
    except (KombuError, OSError):
        # The event is stored; the inbox sweep applies it within a minute.
        logger.warning("Could not queue the alert inbox drain; the sweep will apply events.")


def _inbox_key_lock(integration_id: int, dedup_key: str, *, wait: bool) -> bool:
    """Serialise the application of one key's events (until the transaction ends).
    Elsewhere than PostgreSQL writers are serialised anyway."""
    if connection.vendor != "postgresql":
        return True
    digest = hashlib.blake2b(f"{integration_id}:{dedup_key}".encode(), digest_size=8).digest()
    lock_id = int.from_bytes(digest, "big", signed=True)
    function = "pg_advisory_xact_lock" if wait else "pg_try_advisory_xact_lock"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {function}(%s)", [lock_id])
        acquired = cursor.fetchone()[0]
    return acquired is not False  # pg_advisory_xact_lock returns void (None)


def _stored_event(row: AlertEvent, integration: Integration) -> NormalizedEvent:
    """The NormalizedEvent of a stored Events API event (validated when it arrived)."""
    return dataclasses.replace(events_v2.parse_event(dict(row.payload)), dedup_key=row.dedup_key)


def _apply_stored(integration: Integration, event: NormalizedEvent, now: datetime) -> int | None:
    """Apply an event already in the inbox; returns the alert it landed on."""
    if event.action in (ACKNOWLEDGE, RESOLVE):
        alert = _acknowledge_or_resolve(integration, event, now)
        return alert.pk if alert is not None else None
    for _attempt in range(3):
        bumped = _bump_open_alert(integration, event, now, store=False)
        if bumped is not None:
            return bumped[0]
        try:
            return _open_new_alert(integration, event, now, store=False).pk
        except _Deduplicated:
            continue  # opened concurrently (by the synchronous webhooks): bump it
    raise Conflict("The event could not be applied; it stays in the inbox.")


def _process_key(integration_id: int, dedup_key: str, *, wait: bool) -> int:
    with transaction.atomic():
        if not _inbox_key_lock(integration_id, dedup_key, wait=wait):
            return 0  # another worker is applying this key's events right now
        # Under the key's lock nothing else holds these rows; SKIP LOCKED keeps a
        # concurrent sweep from ever waiting on them.
        pending = list(
            AlertEvent.objects.select_for_update(skip_locked=True)
            .filter(integration_id=integration_id, dedup_key=dedup_key, processed_at=None)
            .order_by("id")
        )
        if not pending:
            return 0
        integration = Integration.objects.select_related("team").get(pk=integration_id)
        for row in pending:
            now = timezone.now()
            row.alert_id = _apply_stored(integration, _stored_event(row, integration), now)
            row.processed_at = now
            row.save(update_fields=["alert", "processed_at"])
        return len(pending)


def alert_events_process(*, event_id: int) -> int:
    """Apply a stored event, with any earlier (and later) unapplied events of its key, in
    arrival order. Safe to run twice: an applied event is marked and never applied again.
    Returns the number of events applied."""
    head = (
        AlertEvent.objects.filter(pk=event_id, processed_at=None)
        .values_list("integration_id", "dedup_key")
        .first()
    )
    if head is None:
        return 0  # already applied (by another task or the sweep), or pruned
    return _process_key(head[0], head[1], wait=True)


def alert_inbox_process(
    *, older_than: timedelta = timedelta(0), wait: bool = True, limit: int = 1000
) -> int:
    """Apply the events waiting in the inbox (those stored more than ``older_than``
    ago), key by key, oldest key first; each key's events in arrival order. Returns the
    number applied.

    ``wait=True`` (the drain task sent on commit) waits for a key another worker is
    applying, so nothing it was sent for is left behind; ``wait=False`` (the beat
    sweep) skips such a key. Safe to run twice and concurrently: an applied event is
    marked and never applied again."""
    applied = 0
    for _round in range(20):  # bounded: under a flood, later kicks take over
        stale = (
            AlertEvent.objects.filter(
                processed_at=None, received_at__lte=timezone.now() - older_than
            )
            .order_by("id")
            .values_list("integration_id", "dedup_key")[:limit]
        )
        keys = list(dict.fromkeys(stale))  # distinct keys, oldest first
        done = 0
        for integration_id, dedup_key in keys:
            try:
                done += _process_key(integration_id, dedup_key, wait=wait)
            except Exception:
                # One key's failure (rolled back, retried by the next sweep) must not
                # hold up every other key's events.
                logger.exception("Could not apply the events of %s/%s", integration_id, dedup_key)
        applied += done
        if not done:
            break
    return applied


def alert_inbox_sweep() -> int:
    """Beat: apply the events whose drain task was lost (queued longer than
    ``ALERT_INBOX_SWEEP_AFTER_SECONDS``)."""
    return alert_inbox_process(
        older_than=timedelta(seconds=settings.ALERT_INBOX_SWEEP_AFTER_SECONDS), wait=False
    )


# --- reactions to incident changes ----------------------------------------------------


def alerts_close_for_incident(*, incident: Incident) -> int:
    """An incident was resolved (by anyone): its alerts close, so the same dedup key
    opens a new incident next time."""
    return Alert.objects.filter(incident=incident, is_open=True).update(
        is_open=False,
        status=AlertStatus.RESOLVED,
        resolved_at=Coalesce("resolved_at", timezone.now()),
    )


def alert_search_filter(text: str) -> Q:
    return (
        Q(summary__icontains=text)
        | Q(name__icontains=text)
        | Q(dedup_key__icontains=text)
        | Q(source__icontains=text)
        | Q(payload__icontains=text)  # the raw event, as text
    )
