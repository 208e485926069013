"""The Events API inbox: receive now, apply right after commit, per key in order.

``POST /v2/enqueue`` is asynchronous, like PagerDuty's own "enqueue":
``alert_event_receive`` resolves the integration, counts the rate limit and stores the
raw event durably (on PostgreSQL in one statement, one round trip), then the view
answers 202. Applying it (deduplication, incident, acknowledge/resolve, storms, pages) is
``alert_events_process``, run by a Celery task sent on commit, and by the beat sweep
``alert_inbox_sweep`` for an event whose task was lost. Events of one (integration,
dedup key) are applied one key at a time (a transaction-scoped advisory lock on
PostgreSQL) in arrival order, so trigger → acknowledge → resolve keep their order
whichever worker runs them; an applied event is marked and never applied twice.
"""

import dataclasses
import functools
import hashlib
import json
import logging
import threading
import time
import weakref
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.utils import timezone

from common.errors import Conflict, NotFound
from incidents.alerts.models import (
    AlertEvent,
    IngestRateWindow,
    Integration,
    routing_key_hash,
)
from incidents.alerts.parsers import events_v2
from incidents.alerts.parsers.events import ACKNOWLEDGE, RESOLVE, NormalizedEvent
from incidents.alerts.services.ingest import (
    AlertAlreadyOpen,
    alert_acknowledge_or_resolve,
    alert_bump_open,
    alert_open_new,
)
from incidents.alerts.services.integrations import integration_by_routing_key
from incidents.alerts.services.ratelimit import ingest_rate_check, rate_limited_raise

logger = logging.getLogger(__name__)


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
        rate_limited_raise(bytes(name or b"").decode(), int(limit or 0), window, now)
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

    from incidents.alerts.tasks import alert_inbox_drain

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
        alert = alert_acknowledge_or_resolve(integration=integration, event=event, now=now)
        return alert.pk if alert is not None else None
    for _attempt in range(3):
        bumped = alert_bump_open(integration=integration, event=event, now=now, store=False)
        if bumped is not None:
            return bumped[0]
        try:
            return alert_open_new(integration=integration, event=event, now=now, store=False).pk
        except AlertAlreadyOpen:
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
