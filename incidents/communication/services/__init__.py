"""The communication room's services: ``updates`` (status updates and the status-page
override of an incident), ``reminders`` (reminders and escalation notices, sent by the
beat task), ``channels`` (the Slack incident channel and its posts) and ``emails``
(e-mail through the outbox)."""

from incidents.communication.services.channels import (
    ACTION_LABELS,
    ChannelNotReady,
    incident_channel_failed,
    incident_channel_invite,
    incident_channel_invite_later,
    incident_channel_mirror,
    incident_channel_open,
    incident_channel_request,
    incident_channel_wanted,
)
from incidents.communication.services.emails import email_enqueue, email_recorded
from incidents.communication.services.reminders import (
    ReminderResult,
    communications_due_incident_ids,
    communications_remind,
    communications_remind_incident,
)
from incidents.communication.services.updates import (
    incident_communication_set,
    incident_customer_impact,
    incident_has_public_service,
    split_emails,
    stakeholder_emails,
    status_update_auto_publish,
    status_update_post,
    status_update_share,
)

__all__ = [
    "ACTION_LABELS",
    "ChannelNotReady",
    "ReminderResult",
    "communications_due_incident_ids",
    "communications_remind",
    "communications_remind_incident",
    "email_enqueue",
    "email_recorded",
    "incident_channel_failed",
    "incident_channel_invite",
    "incident_channel_invite_later",
    "incident_channel_mirror",
    "incident_channel_open",
    "incident_channel_request",
    "incident_channel_wanted",
    "incident_communication_set",
    "incident_customer_impact",
    "incident_has_public_service",
    "split_emails",
    "stakeholder_emails",
    "status_update_auto_publish",
    "status_update_post",
    "status_update_share",
]
