"""On-call models, one module per concern; import them from ``oncall.models``."""

from oncall.models.contact import ContactKind, ContactMethod, OnCallPreference
from oncall.models.escalation import EscalationPolicy, EscalationRule, EscalationTarget, TargetType
from oncall.models.schedules import (
    Handoff,
    Rotation,
    Schedule,
    ScheduleLayer,
    ScheduleLayerMember,
    ScheduleOverride,
    ShiftNotice,
)
from oncall.models.sso import IdpGroupMapping
from oncall.models.teams import Team, TeamMembership, TeamRole, team_key_validator

__all__ = [
    "ContactKind",
    "ContactMethod",
    "EscalationPolicy",
    "EscalationRule",
    "EscalationTarget",
    "Handoff",
    "IdpGroupMapping",
    "OnCallPreference",
    "Rotation",
    "Schedule",
    "ScheduleLayer",
    "ScheduleLayerMember",
    "ScheduleOverride",
    "ShiftNotice",
    "TargetType",
    "Team",
    "TeamMembership",
    "TeamRole",
    "team_key_validator",
]
