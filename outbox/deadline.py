"""Running one send under a wall-clock deadline.

The transports bound each connect and read by the time left, but a library call can
still outlive it (a receiver that trickles its headers one byte at a time, an SMTP
server that stalls mid-dialogue). So each send runs on a worker thread and the sender
waits for it only until the deadline: the attempt is then recorded as failed and
retried later, under the same idempotency key. A thread that outlives its deadline
finishes (or times out) in the background; the pool is bounded, and a send that
cannot even start in time fails the same way.
"""

from __future__ import annotations

import concurrent.futures
import threading
from collections.abc import Callable
from typing import TypeVar

from outbox.transports import TransportError

T = TypeVar("T")
_POOL_SIZE = 32
_pool: concurrent.futures.ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def _executor() -> concurrent.futures.ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = concurrent.futures.ThreadPoolExecutor(
                max_workers=_POOL_SIZE, thread_name_prefix="outbox-send"
            )
        return _pool


def call_with_deadline(fn: Callable[[], T], seconds: float) -> T:
    """``fn()``, or ``TransportError`` once ``seconds`` have passed without an answer."""
    future = _executor().submit(fn)
    try:
        return future.result(timeout=max(0.0, seconds))
    except concurrent.futures.TimeoutError:
        future.cancel()
        raise TransportError(f"No answer within {seconds:.0f} s (the send deadline).") from None
