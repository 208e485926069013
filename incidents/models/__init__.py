"""Incident models, one module per concern; import them from ``incidents.models``."""

from incidents.models.alerts import (
    Alert,
    AlertEvent,
    AlertStatus,
    IngestRateWindow,
    Integration,
    IntegrationKind,
    MirrorDelivery,
    MirrorDeliveryStatus,
    PagerDutyMirror,
)
from incidents.models.core import (
    OPEN_STATUSES,
    STATUS_ORDER,
    IdempotencyRecord,
    Incident,
    IncidentStatus,
    Resolution,
    Service,
    Severity,
    TimelineEvent,
    TimelineEventKind,
)

__all__ = [
    "OPEN_STATUSES",
    "STATUS_ORDER",
    "Alert",
    "AlertEvent",
    "AlertStatus",
    "IdempotencyRecord",
    "Incident",
    "IncidentStatus",
    "IngestRateWindow",
    "Integration",
    "IntegrationKind",
    "MirrorDelivery",
    "MirrorDeliveryStatus",
    "PagerDutyMirror",
    "Resolution",
    "Service",
    "Severity",
    "TimelineEvent",
    "TimelineEventKind",
]
