"""The alerts room's services: ``integrations`` (where monitoring tools send events),
``ratelimit`` (the per-integration limit and pruning), ``ingest`` (applying an event:
dedup, alert, incident), ``inbox`` (the Events API's receive-now, apply-after-commit
inbox), ``storms`` (grouping an alert storm into one incident) and ``test_events`` (a
test event sent from an integration's page)."""

from incidents.alerts.services.inbox import (
    alert_event_receive,
    alert_events_process,
    alert_inbox_process,
    alert_inbox_sweep,
)
from incidents.alerts.services.ingest import (
    IngestResult,
    alert_ingest,
    alerts_close_for_incident,
)
from incidents.alerts.services.integrations import (
    integration_by_routing_key,
    integration_create,
    integration_rotate_key,
    integration_update,
)
from incidents.alerts.services.ratelimit import (
    alert_events_prune,
    ingest_rate_check,
    ingest_rate_windows_prune,
)
from incidents.alerts.services.test_events import integration_send_test_event

__all__ = [
    "IngestResult",
    "alert_event_receive",
    "alert_events_process",
    "alert_events_prune",
    "alert_inbox_process",
    "alert_inbox_sweep",
    "alert_ingest",
    "alerts_close_for_incident",
    "ingest_rate_check",
    "ingest_rate_windows_prune",
    "integration_by_routing_key",
    "integration_create",
    "integration_rotate_key",
    "integration_send_test_event",
    "integration_update",
]
