"""Paging: escalation sweep, delivery retries, throttles, outside channels."""

from config.env import env_bool, env_int

# How many due escalation steps one sweep transaction takes at a time.
ESCALATION_SWEEP_BATCH = env_int("ESCALATION_SWEEP_BATCH", 200)
# Delivery: attempts before a page is marked failed, and the first retry delay (doubles).
PAGING_MAX_ATTEMPTS = env_int("PAGING_MAX_ATTEMPTS", 5)
PAGING_RETRY_BASE_SECONDS = env_int("PAGING_RETRY_BASE_SECONDS", 30)
PAGING_HTTP_TIMEOUT_SECONDS = env_int("PAGING_HTTP_TIMEOUT_SECONDS", 10)
# Default throttle per new contact method kind (seconds between two messages).
PAGING_DEFAULT_MIN_INTERVAL = {"email": 60, "slack": 30, "webhook": 0, "pagerduty": 0}
# One-click acknowledge links expire after this many seconds.
ACK_LINK_MAX_AGE_SECONDS = env_int("ACK_LINK_MAX_AGE_SECONDS", 24 * 3600)
# Slack (SLACK_API_URL, SLACK_BOT_TOKEN) is configured in settings_communication and
# PagerDuty (PAGERDUTY_EVENTS_URL) in settings_alerts; paging uses the same values.

# OpenAPI enum names for choice sets whose field names collide with the foundation's
# ("kind": timeline events vs contact methods, "status": incidents vs pages). Added to the
# shared dict so that other topics can add their own entries the same way.
from config.settings_api import SPECTACULAR_SETTINGS  # noqa: E402

SPECTACULAR_SETTINGS.setdefault("ENUM_NAME_OVERRIDES", {}).update(
    {
        "ContactKindEnum": "oncall.contacts.models.ContactKind",
        "PageStatusEnum": "incidents.paging.models.PageStatus",
        "IncidentStatusEnum": "incidents.models.IncidentStatus",
        "TimelineEventKindEnum": "incidents.models.TimelineEventKind",
    }
)
# Webhook and Slack-webhook contact methods may not point at loopback, private,
# link-local or reserved addresses (server-side request forgery); 1 lifts that, for
# receivers inside your own network.
OUTBOUND_ALLOW_PRIVATE_NETWORKS = env_bool("OUTBOUND_ALLOW_PRIVATE_NETWORKS", False)
