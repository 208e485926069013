"""A beat scheduler that sends its schedule only while it holds a PostgreSQL advisory lock,
so a beat may run on every host and exactly one of them sends at a time; when its host
or its database connection dies, another takes over within seconds.

    celery -A config beat -S readiness.recovery.beat:LockedScheduler

Every beat task is already safe to run twice (config/celery.py), so this is about not
doubling the load, not about correctness. On SQLite (one host by definition) it behaves
like Celery's own scheduler. See docs/operations.md.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import time
from collections.abc import Mapping
from typing import Any

from celery.beat import PersistentScheduler
from django.db import connections

from readiness.recovery.services import pg_connect

logger = logging.getLogger(__name__)

# One number for "the beat" in this database (advisory locks are per database).
BEAT_LOCK_KEY = int.from_bytes(hashlib.sha256(b"tocsin.beat").digest()[:8], "big", signed=True)
# How often a standby asks for the lock, and at most how often a holder re-checks that
# its lock connection is alive.
STANDBY_RETRY_SECONDS = 5.0
HOLDER_CHECK_SECONDS = 1.0

# The server drops the session of a holder whose host vanished (power cut, partition)
# after ~25 s instead of the kernel's default two hours, which frees the lock; the holder
# notices a dead server just as fast.
_SESSION_SETTINGS = (
    "SET tcp_keepalives_idle = 10",
    "SET tcp_keepalives_interval = 5",
    "SET tcp_keepalives_count = 3",
    "SET tcp_user_timeout = 25000",
    "SET application_name = 'tocsin-beat-lock'",
)
_CLIENT_KEEPALIVES = {
    "keepalives": 1,
    "keepalives_idle": 10,
    "keepalives_interval": 5,
    "keepalives_count": 3,
    "connect_timeout": 5,
}


class BeatLock:
    """A session-level advisory lock on a connection of its own: held for exactly as long
    as that database session lives. ``holds()`` takes the lock when it is free and, once
    held, checks that the session is still alive."""

    def __init__(
        self,
        db: Mapping[str, Any],
        *,
        key: int = BEAT_LOCK_KEY,
        check_every: float = HOLDER_CHECK_SECONDS,
    ) -> None:
        self.db = db
        self.key = key
        self.check_every = check_every
        self._conn: Any = None
        self._held = False
        self._checked_at = 0.0

    def holds(self) -> bool:
        now = time.monotonic()
        if self._held and now - self._checked_at < self.check_every:
            return True
        self._checked_at = now
        try:
            if self._conn is None or self._conn.closed:
                self._conn = pg_connect(self.db, autocommit=True, params=_CLIENT_KEEPALIVES)
                for statement in _SESSION_SETTINGS:
                    self._conn.execute(statement)
            if self._held:
                self._conn.execute("SELECT 1")
                return True
            self._held = bool(
                self._conn.execute("SELECT pg_try_advisory_lock(%s)", [self.key]).fetchone()[0]
            )
        except Exception:  # any failure of the session means the lock is gone
            if self._held:
                logger.warning("Beat lost its lock (database session ended); standing by.")
            else:
                logger.warning("Beat cannot reach the database to take its lock.", exc_info=True)
            self._drop()
            return False
        if self._held:
            logger.info("Beat took the lock: this process now sends the schedule.")
        return self._held

    @property
    def backend_pid(self) -> int | None:
        """The server process of the lock's session (what an operator would terminate)."""
        return self._conn.info.backend_pid if self._conn is not None else None

    def release(self) -> None:
        """Give the lock back at once (a clean stop), so a standby need not wait for the
        server to notice the closed connection."""
        if self._held and self._conn is not None:
            # A failure means the session is gone, and the lock with it.
            with contextlib.suppress(Exception):
                self._conn.execute("SELECT pg_advisory_unlock(%s)", [self.key])
        self._drop()

    def _drop(self) -> None:
        self._held = False
        if self._conn is not None:
            with contextlib.suppress(Exception):  # a connection that is already broken
                self._conn.close()
        self._conn = None


class LockedScheduler(PersistentScheduler):
    """Celery's default scheduler, ticking only while this process holds the beat lock."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        db = connections["default"].settings_dict
        self.beat_lock: BeatLock | None = (
            BeatLock(db) if db["ENGINE"].endswith("postgresql") else None
        )
        if self.beat_lock is None:
            logger.info("Beat lock needs PostgreSQL; running as a plain scheduler.")
        super().__init__(*args, **kwargs)

    def tick(self, *args: Any, **kwargs: Any) -> float:
        if self.beat_lock is not None and not self.beat_lock.holds():
            return STANDBY_RETRY_SECONDS
        return super().tick(*args, **kwargs)

    def close(self) -> None:
        try:
            super().close()
        finally:
            if self.beat_lock is not None:
                self.beat_lock.release()

    @property
    def info(self) -> str:
        if self.beat_lock is None:
            return "no lock (not PostgreSQL)"
        return (
            "holds the beat lock"
            if self.beat_lock.holds()
            else "standby (another beat holds the lock)"
        )
