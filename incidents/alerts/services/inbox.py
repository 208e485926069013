"""The Events API inbox: receive now, apply right after commit, in batches, per key in
order.

``POST /v2/enqueue`` is asynchronous, like PagerDuty's own "enqueue":
``alert_event_receive`` resolves the integration, counts the rate limit and stores the
raw event durably (on PostgreSQL in one statement, one round trip), then the view
answers 202. Applying it (deduplication, incident, acknowledge/resolve, storms, pages) is
``alert_inbox_process``, run by the drain task sent on commit and by the beat sweep
``alert_inbox_sweep`` for an event whose task was lost: batches of many events, one
transaction each, every key's events applied in arrival order (repeats of an open
alert folded into one UPDATE), each event marked applied exactly once, and a key that
fails rolled back alone (see "Applying" below for how).
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
from incidents.alerts.parsers.events import ACKNOWLEDGE, RESOLVE, TRIGGER, NormalizedEvent
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


# --- Applying: the inbox drained in batches -----------------------------------------
#
# A drain runs batches, each one transaction: claim the oldest waiting events (their
# rows locked, other batches' rows skipped), take the advisory lock of each of their
# keys, apply each key's events in arrival order in a savepoint of its own (a run of
# repeats folded into one UPDATE), then mark every applied event in one statement. The
# guarantees, and where each comes from:
#
# - exactly once: an event is marked in the transaction that applied it, and only if it
#   was still waiting (the mark counts the rows; if one was not, the whole batch rolls
#   back); its row is locked from the claim to the commit, so no other batch claims it;
# - per-key arrival order: a batch applies a key's events only up to the first earlier
#   waiting event of that key it did not claim (``_inbox_in_order``), so two batches
#   never apply one key at once, nor out of order. The key's advisory lock makes the
#   second batch wait for the first (drain task) or pass the key by (sweep) instead of
#   retrying;
# - one key's failure loses nothing and blocks nobody: its savepoint rolls back (with
#   the pages it would have caused, sent on commit only), its events stay waiting for
#   the next drain or the sweep, the batch goes on with the other keys.

# Settings (config/settings/alerts.py), with their defaults; read at each drain.
_BATCH_EVENTS = ("ALERT_INBOX_BATCH_EVENTS", 500)
# A batch starts no new key after this long: it bounds how long one transaction holds
# what applying locks (a team's incident-numbering lock, the alerts it bumped).
_BATCH_SECONDS = ("ALERT_INBOX_BATCH_SECONDS", 0.5)
# A drain starts no new batch after this long and hands over to a new drain task, so
# a backlog never keeps a worker from its other tasks (pages) for longer.
_DRAIN_SECONDS = ("ALERT_INBOX_DRAIN_SECONDS", 5.0)


def _setting(name_and_default: tuple[str, Any]) -> Any:
    name, default = name_and_default
    return getattr(settings, name, default)


InboxKey = tuple[int, str]  # (integration id, dedup key): the unit of ordering


@dataclasses.dataclass(frozen=True)
class _Waiting:
    """A claimed event of the inbox."""

    id: int
    action: str
    payload: dict[str, Any]


@dataclasses.dataclass
class _BatchOutcome:
    claimed: int = 0  # events claimed (row-locked) by the batch
    applied: int = 0  # events applied and marked
    failed: set[InboxKey] = dataclasses.field(default_factory=set)  # rolled back, still waiting
    skipped: set[InboxKey] = dataclasses.field(default_factory=set)  # left to another worker


def _inbox_claim(
    *, older_than: timedelta, only_key: InboxKey | None, exclude: set[InboxKey], limit: int
) -> dict[InboxKey, list[_Waiting]]:
    """The oldest waiting events (at most ``limit``, received more than ``older_than``
    ago), grouped by key, each key's in arrival order. On PostgreSQL their rows stay
    locked until the transaction ends, and rows another batch has locked are skipped
    (``FOR UPDATE SKIP LOCKED``): two workers never claim the same event."""
    waiting = AlertEvent.objects.filter(
        processed_at=None, received_at__lte=timezone.now() - older_than
    )
    if only_key is not None:
        waiting = waiting.filter(integration_id=only_key[0], dedup_key=only_key[1])
    for integration_id, dedup_key in exclude:
        waiting = waiting.exclude(integration_id=integration_id, dedup_key=dedup_key)
    rows = (
        waiting.select_for_update(skip_locked=True)
        .order_by("id")
        .values_list("id", "integration_id", "dedup_key", "action", "payload")[:limit]
    )
    batch: dict[InboxKey, list[_Waiting]] = {}
    for event_id, integration_id, dedup_key, action, payload in rows:
        batch.setdefault((integration_id, dedup_key), []).append(
            _Waiting(id=event_id, action=action, payload=payload)
        )
    return batch


def _inbox_lock_id(key: InboxKey) -> int:
    digest = hashlib.blake2b(f"{key[0]}:{key[1]}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def _inbox_keys_lock(keys: list[InboxKey], *, wait: bool) -> set[InboxKey]:
    """Take the advisory lock of each key until the transaction ends, in one statement;
    returns the keys held. ``wait=False`` skips a key another worker holds;
    ``wait=True`` waits for it, taking the locks in ascending order so that two
    waiting batches cannot deadlock (nothing else is locked yet but the claimed rows,
    which nobody waits for). Elsewhere than PostgreSQL writers are serialised anyway."""
    if connection.vendor != "postgresql" or not keys:
        return set(keys)
    by_lock: dict[int, list[InboxKey]] = {}
    for key in keys:
        by_lock.setdefault(_inbox_lock_id(key), []).append(key)
    lock_ids = sorted(by_lock)
    with connection.cursor() as cursor:
        if wait:
            # unnest yields the array's order, so the locks are taken in that order.
            cursor.execute(
                "SELECT count(pg_advisory_xact_lock(id)) FROM unnest(%s::bigint[]) AS id",
                [_bigint_array(lock_ids)],
            )
            return set(keys)
        cursor.execute(
            "SELECT id FROM unnest(%s::bigint[]) AS id WHERE pg_try_advisory_xact_lock(id)",
            [_bigint_array(lock_ids)],
        )
        return {key for (lock_id,) in cursor.fetchall() for key in by_lock[lock_id]}


def _inbox_in_order(batch: dict[InboxKey, list[_Waiting]]) -> dict[InboxKey, list[_Waiting]]:
    """What of each (locked) key may be applied now without breaking arrival order: its
    claimed events before the first earlier waiting event of the key this batch did not
    claim — one another batch claimed but could not take the key's lock for (a sweep
    skipping the key), or one committed after the claim with a smaller id. Usually
    everything; what is cut stays waiting for the next round."""
    if connection.vendor != "postgresql" or not batch:
        return batch  # SQLite: one writer at a time, nothing else claims events
    ours = {event.id for events in batch.values() for event in events}
    waiting = AlertEvent.objects.filter(
        processed_at=None,
        id__lt=max(ours),
        integration_id__in={key[0] for key in batch},
        dedup_key__in={key[1] for key in batch},
    ).values_list("integration_id", "dedup_key", "id")
    first_other: dict[InboxKey, int] = {}
    for integration_id, dedup_key, event_id in waiting:
        key = (integration_id, dedup_key)
        if key in batch and event_id not in ours:
            first_other[key] = min(event_id, first_other.get(key, event_id))
    ready = {}
    for key, events in batch.items():
        prefix = [event for event in events if event.id < first_other.get(key, event.id + 1)]
        if prefix:
            ready[key] = prefix
    return ready


def _stored_event(dedup_key: str, payload: dict[str, Any]) -> NormalizedEvent:
    """The NormalizedEvent of a stored Events API event (validated when it arrived)."""
    return dataclasses.replace(events_v2.parse_event(dict(payload)), dedup_key=dedup_key)


def _trigger_runs(events: list[NormalizedEvent]) -> list[list[NormalizedEvent]]:
    """A key's events cut into what is applied in one step, in order: each run of
    consecutive triggers, and each acknowledge or resolve alone."""
    runs: list[list[NormalizedEvent]] = []
    for event in events:
        if event.action not in (ACKNOWLEDGE, RESOLVE) and runs and runs[-1][0].action == TRIGGER:
            runs[-1].append(event)
        else:
            runs.append([event])
    return runs


def _triggers_apply(integration: Integration, run: list[NormalizedEvent], now: datetime) -> int:
    """Apply consecutive triggers of one key as one step: one bump counting all of them
    when the key has an open alert; otherwise the first opens it (and declares its
    incident, or joins the storm, through the same service as the webhooks) and one
    bump counts the rest. Returns the alert they landed on."""
    last = run[-1]
    for _attempt in range(3):
        bumped = alert_bump_open(
            integration=integration, event=last, now=now, store=False, repeats=len(run)
        )
        if bumped is not None:
            return bumped[0]
        try:
            alert = alert_open_new(integration=integration, event=run[0], now=now, store=False)
        except AlertAlreadyOpen:
            continue  # opened concurrently (by the synchronous webhooks): bump it
        if len(run) > 1:
            alert_bump_open(
                integration=integration, event=last, now=now, store=False, repeats=len(run) - 1
            )
        return alert.pk
    raise Conflict("The event could not be applied; it stays in the inbox.")


def _key_apply(
    integration: Integration, dedup_key: str, events: list[_Waiting]
) -> list[tuple[int, int | None]]:
    """Apply one key's claimed events in arrival order (the caller holds the key's lock);
    returns (event id, alert id or None) for each. Applying n repeats in a row is the
    same as applying them one by one: the count grows by n, the latest payload and
    ``last_seen`` are the last one's."""
    now = timezone.now()
    parsed = [_stored_event(dedup_key, event.payload) for event in events]
    alert_ids: list[int | None] = []
    for run in _trigger_runs(parsed):
        if run[0].action in (ACKNOWLEDGE, RESOLVE):
            alert = alert_acknowledge_or_resolve(integration=integration, event=run[0], now=now)
            alert_ids.append(alert.pk if alert is not None else None)
        else:
            alert_ids.extend([_triggers_apply(integration, run, now)] * len(run))
    return [(event.id, alert_id) for event, alert_id in zip(events, alert_ids, strict=True)]


def _keys_apply(
    ready: dict[InboxKey, list[_Waiting]], *, seconds: float
) -> tuple[list[tuple[int, int | None]], set[InboxKey]]:
    """Apply each key in a savepoint of its own; returns the applied (event id, alert id)
    pairs and the keys that failed (rolled back and logged; their events stay waiting,
    with whatever their application would have caused — pages included, which are sent
    on commit only). Keys go by team, integration, then arrival, so concurrent batches
    take teams' numbering locks in one order; after ``seconds`` no new key starts (the
    rest stays waiting for the next round)."""
    integrations = Integration.objects.select_related("team", "service").in_bulk(
        {key[0] for key in ready}
    )
    order = sorted(
        ready,
        key=lambda key: (integrations[key[0]].team_id, key[0], ready[key][0].id),
    )
    deadline = time.monotonic() + seconds
    applied: list[tuple[int, int | None]] = []
    failed: set[InboxKey] = set()
    for index, key in enumerate(order):
        if index and time.monotonic() > deadline:
            break
        try:
            with transaction.atomic():  # a savepoint: this key alone rolls back
                applied.extend(_key_apply(integrations[key[0]], key[1], ready[key]))
        except Exception:
            logger.exception("Could not apply the events of %s/%s", *key)
            failed.add(key)
    return applied, failed


def _bigint_array(values: list[int] | list[int | None]) -> str:
    """A PostgreSQL array literal: Django's psycopg cursor binds on the client, and
    quoting a list element by element costs more than the whole batch's UPDATE."""
    return "{" + ",".join("NULL" if value is None else str(int(value)) for value in values) + "}"


def _inbox_mark_applied(applied: list[tuple[int, int | None]]) -> None:
    """Mark the events applied, each with its alert: on PostgreSQL one statement for the
    whole batch. Only events still waiting are marked; if one was not, the batch raises
    and rolls back (its locks make that impossible: this is the exactly-once backstop)."""
    if not applied:
        return
    now = timezone.now()
    if connection.vendor == "postgresql":
        table = connection.ops.quote_name(AlertEvent._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} AS e SET processed_at = %s, alert_id = a.alert_id "  # noqa: S608 - table name from the model
                "FROM unnest(%s::bigint[], %s::bigint[]) AS a(id, alert_id) "
                "WHERE e.id = a.id AND e.processed_at IS NULL",
                [
                    now,
                    _bigint_array([pair[0] for pair in applied]),
                    _bigint_array([pair[1] for pair in applied]),
                ],
            )
            marked = cursor.rowcount
    else:
        by_alert: dict[int | None, list[int]] = {}
        for event_id, alert_id in applied:
            by_alert.setdefault(alert_id, []).append(event_id)
        marked = sum(
            AlertEvent.objects.filter(pk__in=event_ids, processed_at=None).update(
                alert_id=alert_id, processed_at=now
            )
            for alert_id, event_ids in by_alert.items()
        )
    if marked != len(applied):
        raise Conflict("Inbox events were applied twice; the batch is rolled back.")


def _inbox_batch(
    *,
    older_than: timedelta,
    wait: bool,
    only_key: InboxKey | None,
    exclude: set[InboxKey],
    limit: int,
) -> _BatchOutcome:
    """One batch, one transaction: claim, lock the keys, keep each key's in-order part,
    apply key by key, mark every applied event. The pages, Slack messages and the like
    the batch causes go out when it commits."""
    outcome = _BatchOutcome()
    with transaction.atomic():
        claimed = _inbox_claim(
            older_than=older_than, only_key=only_key, exclude=exclude, limit=limit
        )
        outcome.claimed = sum(len(events) for events in claimed.values())
        if not claimed:
            return outcome
        held = _inbox_keys_lock(list(claimed), wait=wait)
        ready = _inbox_in_order({key: claimed[key] for key in claimed if key in held})
        outcome.skipped = set(claimed) - set(ready)
        applied, outcome.failed = _keys_apply(ready, seconds=_setting(_BATCH_SECONDS))
        _inbox_mark_applied(applied)
        outcome.applied = len(applied)
    return outcome


def _inbox_drain(
    *,
    older_than: timedelta = timedelta(0),
    wait: bool = True,
    only_key: InboxKey | None = None,
    limit: int | None = None,
) -> int:
    """Run batches until nothing is left to claim; returns the number of events applied.
    A key that failed is not tried again in this drain; without ``wait`` neither is a
    key another worker holds (it applies them, or the next drain does). With ``wait``
    such a key is waited for, so the events a drain task was sent for are never left
    behind. Out of time with events still to claim, having applied some, it sends a new
    drain task for the rest."""
    limit = limit or _setting(_BATCH_EVENTS)
    deadline = time.monotonic() + _setting(_DRAIN_SECONDS)
    passed_over: set[InboxKey] = set()
    applied = 0
    while True:
        outcome = _inbox_batch(
            older_than=older_than, wait=wait, only_key=only_key, exclude=passed_over, limit=limit
        )
        applied += outcome.applied
        if not outcome.claimed:
            return applied
        if time.monotonic() >= deadline:
            if applied:  # progress: hand over the rest (never a chain re-failing keys)
                _inbox_drain_continue(limit)
            return applied
        passed_over |= outcome.failed
        if not wait:
            passed_over |= outcome.skipped
        elif outcome.skipped and not outcome.applied:
            # A sweep claimed earlier events of these keys without their locks; it
            # commits shortly and they are claimable again.
            time.sleep(0.05)


def _inbox_drain_continue(limit: int | None) -> None:
    """Hand a backlog over to a new drain task, queued behind the workers' other tasks.
    Sent outside any transaction (the batches have committed)."""
    from kombu.exceptions import KombuError

    from incidents.alerts.tasks import alert_inbox_drain

    try:
        alert_inbox_drain.apply_async(kwargs={"limit": limit})
    except (KombuError, OSError):
        logger.warning("Could not queue the next alert inbox drain; the sweep will go on.")


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
    return _inbox_drain(only_key=(head[0], head[1]), wait=True)


def alert_inbox_process(
    *, older_than: timedelta = timedelta(0), wait: bool = True, limit: int | None = None
) -> int:
    """Apply the events waiting in the inbox (those stored more than ``older_than``
    ago) in batches of up to ``limit`` events (``ALERT_INBOX_BATCH_EVENTS``, 500), oldest
    first; each key's events in arrival order, each event exactly once. Returns the
    number applied.

    ``wait=True`` (the drain task sent on commit) waits for a key another worker is
    applying, so nothing it was sent for is left behind; ``wait=False`` (the beat
    sweep) skips such a key. Safe to run twice and concurrently."""
    return _inbox_drain(older_than=older_than, wait=wait, limit=limit)


def alert_inbox_sweep() -> int:
    """Beat: apply the events whose drain task was lost (queued longer than
    ``ALERT_INBOX_SWEEP_AFTER_SECONDS``)."""
    return alert_inbox_process(
        older_than=timedelta(seconds=settings.ALERT_INBOX_SWEEP_AFTER_SECONDS), wait=False
    )
