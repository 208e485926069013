"""Alert ingestion and PagerDuty mirroring settings."""

from config.settings.env import env_bool, env_int, env_str

# Where mirrored incidents and PagerDuty contact methods are sent (PagerDuty's Events API
# v2); tests point it at a local receiver.
PAGERDUTY_EVENTS_URL = env_str("PAGERDUTY_EVENTS_URL", "https://events.pagerduty.com")
# Mirror events are sent through the outbox: its deadline, attempts and back-off apply
# (config.settings.outbox).
# Raw events (AlertEvent rows) older than this are pruned by a beat task.
ALERT_EVENT_RETENTION_DAYS = env_int("ALERT_EVENT_RETENTION_DAYS", 30)
# Events API events still unapplied this long after arrival (their Celery task was lost)
# are applied by the alert-inbox-sweep beat task.
ALERT_INBOX_SWEEP_AFTER_SECONDS = env_int("ALERT_INBOX_SWEEP_AFTER_SECONDS", 30)
# A web process sends at most one inbox-drain task per this many seconds (publishing a
# Celery task costs more CPU than the request itself); events wait at most this long
# before a worker picks them up. 0 = one task per event, at once.
ALERT_INBOX_KICK_SECONDS = float(env_str("ALERT_INBOX_KICK_SECONDS", "0.25"))
# The /v2/enqueue statement is a server-side prepared statement (parsed and planned once
# per database connection). Django turns prepared statements off for its own queries
# (connection poolers in transaction mode before PgBouncer 1.21 cannot carry them);
# set 0 behind such a pooler.
ALERT_INGEST_PREPARED = env_bool("ALERT_INGEST_PREPARED", True)
# The inbox is applied in batches: up to this many events per transaction, a batch
# starting no new key after ALERT_INBOX_BATCH_MS milliseconds (it bounds how long a
# team's incident-numbering lock is held), and a drain handing over to a new task after
# ALERT_INBOX_DRAIN_SECONDS (so a backlog never keeps a worker from its other tasks).
ALERT_INBOX_BATCH_EVENTS = env_int("ALERT_INBOX_BATCH_EVENTS", 500)
ALERT_INBOX_BATCH_SECONDS = env_int("ALERT_INBOX_BATCH_MS", 500) / 1000
ALERT_INBOX_DRAIN_SECONDS = env_int("ALERT_INBOX_DRAIN_SECONDS", 5)
