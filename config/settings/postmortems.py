"""Postmortem SLA and action-item reminders."""

from config.settings.env import env_int

# A postmortem is due this long after its incident is resolved.
POSTMORTEM_SLA_HOURS = env_int("POSTMORTEM_SLA_HOURS", 48)
# Still unpublished this long after it was due: escalate to the team's managers.
POSTMORTEM_ESCALATION_HOURS = env_int("POSTMORTEM_ESCALATION_HOURS", 24)
# The follow-up review is scheduled this many days after publishing.
POSTMORTEM_FOLLOW_UP_REVIEW_DAYS = env_int("POSTMORTEM_FOLLOW_UP_REVIEW_DAYS", 30)
# Notifications are sent through the outbox: its attempts and back-off apply
# (config.settings.outbox).
