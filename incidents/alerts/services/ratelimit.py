"""The per-integration ingest rate limit, and pruning of what ingestion leaves behind.

Events are counted per integration and minute in ``IngestRateWindow`` rows, one per
database session (``shard``), so a session's upsert never waits for another's; the limit
is checked against the window's sum, which holds across every process and host. Past it
``RateLimited`` (429) says when to retry."""

from datetime import datetime, timedelta
from typing import NoReturn

from django.db import connection
from django.utils import timezone

from common.errors import RateLimited
from incidents.alerts.models import AlertEvent, IngestRateWindow, Integration


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
        rate_limited_raise(integration.name, limit, window, now)


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


def rate_limited_raise(name: str, limit: int, window: datetime, now: datetime) -> NoReturn:
    retry_after = max(1, int((window + timedelta(minutes=1) - now).total_seconds() + 0.999))
    raise RateLimited(
        f"Integration {name} accepts {limit} events per minute; retry in {retry_after} s.",
        extra={"retry_after": retry_after},
    )
