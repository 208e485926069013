"""Sending events to PagerDuty's Events API v2 with pdpyras. Retries belong to the
Celery task (with back-off, and each failure recorded on the incident's timeline), so
pdpyras's own retry loops are turned off here."""

import warnings
from typing import Any

from django.conf import settings

from incidents.alerts.parsers.events import ACKNOWLEDGE, RESOLVE, TRIGGER

with warnings.catch_warnings():
    # pdpyras announces its successor package on import; its Events API session is all
    # we use.
    warnings.simplefilter("ignore", UserWarning)
    import pdpyras


class PagerDutyError(Exception):
    """The event was not accepted (network error, timeout or non-2xx answer)."""


def _session(routing_key: str) -> pdpyras.EventsAPISession:
    session = pdpyras.EventsAPISession(routing_key)
    session.url = settings.PAGERDUTY_EVENTS_URL.rstrip("/")
    session.timeout = settings.PAGERDUTY_TIMEOUT_SECONDS
    # No retry of 5xx inside the call (pdpyras sleeps between tries); one polite retry
    # on 429, then the answer is returned and the task backs off.
    session.retry = {429: 1}
    session.max_network_attempts = 0
    session.sleep_timer = 1.0
    return session


def send_event(*, routing_key: str, action: str, dedup_key: str, event: dict[str, Any]) -> str:
    """Send one event; returns the dedup key PagerDuty echoed."""
    session = _session(routing_key)
    try:
        if action == TRIGGER:
            payload = event.get("payload", {})
            return session.trigger(
                payload["summary"],
                payload["source"],
                dedup_key=dedup_key,
                severity=payload.get("severity", "critical"),
                payload={k: v for k, v in payload.items() if k not in ("summary", "source")},
                links=event.get("links"),
            )
        if action == ACKNOWLEDGE:
            return session.acknowledge(dedup_key)
        if action == RESOLVE:
            return session.resolve(dedup_key)
    except pdpyras.PDClientError as exc:
        response = getattr(exc, "response", None)
        status = f"HTTP {response.status_code}: " if response is not None else ""
        raise PagerDutyError(f"{status}{exc}"[:1000]) from exc
    except (OSError, ValueError) as exc:  # requests' errors derive from OSError
        raise PagerDutyError(str(exc)[:1000]) from exc
    finally:
        session.close()
    raise ValueError(f"Unknown PagerDuty event action {action!r}")
