"""Handing paging work to Celery without letting a broker outage break the caller."""

import logging
from datetime import datetime
from typing import Any

logger = logging.getLogger(__name__)


def task_enqueue_safely(
    task: Any, *args: Any, eta: datetime | None = None, producer: Any = None
) -> None:
    """A broker outage must not break the caller: the sweep finds the work anyway."""
    try:
        task.apply_async(args=args, eta=eta, producer=producer)
    except Exception:
        logger.exception("Could not enqueue %s%s; the sweep will run it", task.name, args)
