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
from incidents.models.escalation import EscalationState, IncidentEscalation, Page, PageStatus

__all__ = [
    "OPEN_STATUSES",
    "STATUS_ORDER",
    "EscalationState",
    "IdempotencyRecord",
    "Incident",
    "IncidentEscalation",
    "IncidentStatus",
    "Page",
    "PageStatus",
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
