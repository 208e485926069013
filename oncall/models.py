"""The on-call app's models live in its rooms; importing them here is how Django finds
them (one app: the ``oncall`` label and tables, four rooms)."""

from oncall.contacts.models import ContactMethod, NotificationRule, OnCallPreference
from oncall.policies.models import EscalationPolicy, EscalationRule, EscalationTarget
from oncall.schedules.models import (
    Handoff,
    Rotation,
    Schedule,
    ScheduleLayer,
    ScheduleLayerMember,
    ScheduleOverride,
)
from oncall.teams.models import IdpGroupMapping, Team, TeamMembership

__all__ = [
    "ContactMethod",
    "EscalationPolicy",
    "EscalationRule",
    "EscalationTarget",
    "Handoff",
    "IdpGroupMapping",
    "NotificationRule",
    "OnCallPreference",
    "Rotation",
    "Schedule",
    "ScheduleLayer",
    "ScheduleLayerMember",
    "ScheduleOverride",
    "Team",
    "TeamMembership",
]
