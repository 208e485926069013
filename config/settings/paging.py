"""Paging: escalation sweep, delivery retries, throttles, outside channels, load limits.

Slack (SLACK_API_URL, SLACK_BOT_TOKEN) is configured in config.settings.communication and
PagerDuty (PAGERDUTY_EVENTS_URL) in config.settings.alerts; paging uses the same values.
"""

from config.settings.env import env_bool, env_int

# How many due escalation steps one sweep transaction takes at a time.
ESCALATION_SWEEP_BATCH = env_int("ESCALATION_SWEEP_BATCH", 200)
# Also publish a Celery task with an ETA for each next step (off: the 1 s beat sweep
# runs every due step, which measured faster under load than one task per step).
ESCALATION_ETA_TASKS = env_bool("ESCALATION_ETA_TASKS", False)
# A step's ETA task runs every step due at that moment, up to this many, in batches.
ESCALATION_TASK_BATCH = env_int("ESCALATION_TASK_BATCH", 1000)
# Delivery attempts, back-off and the time one send may take are the outbox's
# (config.settings.outbox: OUTBOX_MAX_ATTEMPTS, OUTBOX_RETRY_BASE_SECONDS,
# OUTBOX_SEND_DEADLINE_SECONDS).
# Default throttle per new contact method kind (seconds between two low-urgency
# messages; high urgency is never throttled).
PAGING_DEFAULT_MIN_INTERVAL = {
    "email": 60,
    "slack": 30,
    "webhook": 0,
    "pagerduty": 0,
    "sms": 0,
    "voice": 0,
}
# One-click acknowledge links expire after this many seconds.
ACK_LINK_MAX_AGE_SECONDS = env_int("ACK_LINK_MAX_AGE_SECONDS", 24 * 3600)
# Webhook and Slack-webhook contact methods may not point at loopback, private,
# link-local or reserved addresses (server-side request forgery); 1 lifts that, for
# receivers inside your own network.
OUTBOUND_ALLOW_PRIVATE_NETWORKS = env_bool("OUTBOUND_ALLOW_PRIVATE_NETWORKS", False)
# An engineer paged more often than this in one week counts as over the limit in the
# metrics (pages_per_engineer_per_week).
ONCALL_PAGES_PER_WEEK_LIMIT = env_int("ONCALL_PAGES_PER_WEEK_LIMIT", 10)
# At most this many pages share one bundled message (the rest start a new one).
PAGING_BUNDLE_MAX_PAGES = env_int("PAGING_BUNDLE_MAX_PAGES", 25)
