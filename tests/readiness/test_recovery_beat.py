"""The beat lock: of two beats against one PostgreSQL database only one sends its
schedule; when the holder's database session ends (its process stopped, its host died and
the server dropped the session), the other takes over."""

from datetime import UTC, datetime

import pytest
from celery import Celery
from django.db import connection

from readiness.recovery.beat import BEAT_LOCK_KEY, LockedScheduler

LONG_AGO = datetime(2000, 1, 1, tzinfo=UTC)

# The locks are taken on connections of their own; the test database only has to exist.
pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def _scheduler(tmp_path, name: str) -> LockedScheduler:
    app = Celery(f"beat-{name}", set_as_current=False)
    # The in-memory transport: what a tick sends goes nowhere, but is really sent.
    app.conf.broker_url = "memory://"
    # Last run long ago: due at the first tick.
    app.conf.beat_schedule = {
        "demo.every_second": {"task": "demo.noop", "schedule": 1.0, "last_run_at": LONG_AGO}
    }
    scheduler = LockedScheduler(app, schedule_filename=str(tmp_path / f"{name}-schedule"))
    assert scheduler.beat_lock is not None
    # Check the session on every tick, so the test needs no waiting.
    scheduler.beat_lock.check_every = 0
    return scheduler


def _sent(scheduler: LockedScheduler) -> int:
    return scheduler.schedule["demo.every_second"].total_run_count


def _lock_holders() -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted "
            "AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
            # A bigint key is held as its high and low 32 bits.
            "AND objsubid = 1 AND classid::bigint = %s AND objid::bigint = %s",
            [(BEAT_LOCK_KEY >> 32) & 0xFFFFFFFF, BEAT_LOCK_KEY & 0xFFFFFFFF],
        )
        return [row[0] for row in cursor.fetchall()]


def test_only_one_of_two_beats_sends_and_the_other_takes_over_when_it_closes(tmp_path):
    first, second = _scheduler(tmp_path, "first"), _scheduler(tmp_path, "second")
    running = [first, second]
    try:
        first.tick()
        second.tick()
        assert _sent(first) == 1
        assert _sent(second) == 0
        assert _lock_holders() == [first.beat_lock.backend_pid]
        assert first.info == "holds the beat lock"
        assert second.info == "standby (another beat holds the lock)"

        # The first beat stops: its session ends, the lock with it.
        first.close()
        running.remove(first)
        second.tick()
        assert _sent(second) == 1
        assert _lock_holders() == [second.beat_lock.backend_pid]
    finally:
        for scheduler in running:
            scheduler.close()
    assert _lock_holders() == []


def test_a_beat_whose_session_the_server_ended_stops_sending_and_the_standby_takes_over(
    tmp_path,
):
    first, second = _scheduler(tmp_path, "first"), _scheduler(tmp_path, "second")
    running = [first, second]
    try:
        first.tick()
        second.tick()
        assert _sent(first) == 1
        # What the server does to the session of a host that vanished (keepalives ran
        # out), or an operator with pg_terminate_backend.
        with connection.cursor() as cursor:
            # With a timeout it returns once the session is gone (and its lock released).
            cursor.execute("SELECT pg_terminate_backend(%s, 10000)", [first.beat_lock.backend_pid])
        second.tick()
        first.tick()
        assert _sent(second) == 1
        assert _sent(first) == 1  # nothing more: it knows it lost the lock
        assert _lock_holders() == [second.beat_lock.backend_pid]
    finally:
        for scheduler in running:
            scheduler.close()
