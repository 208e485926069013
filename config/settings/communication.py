"""Incident communication: Slack incident channels, reminders and the status page."""

from config.settings.env import env_int, env_str

# Slack Web API (slack_sdk WebClient base_url; tests point it at a local receiver).
SLACK_API_URL = env_str("SLACK_API_URL", "https://slack.com/api/")
# Bot token with channels:manage, chat:write, users:read.email; empty = no Slack channels.
SLACK_BOT_TOKEN = env_str("SLACK_BOT_TOKEN")
# Seconds one Slack Web API call may take.
SLACK_TIMEOUT_SECONDS = env_int("SLACK_TIMEOUT_SECONDS", 10)
# A failed incident-channel call (open, post, invite) is retried this many times before it
# is recorded as failed on the incident's timeline.
SLACK_MAX_RETRIES = env_int("SLACK_MAX_RETRIES", 3)
# Incidents of this severity level or more severe get a channel (2 = SEV1 and SEV2).
INCIDENT_CHANNEL_MAX_SEVERITY_LEVEL = env_int("INCIDENT_CHANNEL_MAX_SEVERITY_LEVEL", 2)
# Title of the public status page.
STATUS_PAGE_TITLE = env_str("STATUS_PAGE_TITLE", "Service status")
