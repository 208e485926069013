"""Incident models, one module per concern; import them from ``incidents.models``."""

from incidents.models.communication import (
    CommunicationEventKind,
    CommunicationReminder,
    EscalationNoticeRule,
    EscalationNoticeSent,
    EscalationTarget,
    IncidentChannel,
    IncidentChannelState,
    IncidentCommunication,
    MaintenanceWindow,
    ReminderKind,
    StatusPageState,
    StatusUpdate,
    TeamCommunicationSettings,
    UpdateAudience,
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
    "IdempotencyRecord",
    "Incident",
    "IncidentStatus",
    "Resolution",
    "Service",
    "Severity",
    "TimelineEvent",
    "TimelineEventKind",
]
__all__ += [  # communication
    "CommunicationEventKind",
    "CommunicationReminder",
    "EscalationNoticeRule",
    "EscalationNoticeSent",
    "EscalationTarget",
    "IncidentChannel",
    "IncidentChannelState",
    "IncidentCommunication",
    "MaintenanceWindow",
    "ReminderKind",
    "StatusPageState",
    "StatusUpdate",
    "TeamCommunicationSettings",
    "UpdateAudience",
]
