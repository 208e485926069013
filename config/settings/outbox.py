"""The outbox: how everything Tocsin sends is claimed, sent, retried and bounded in time.
The PAGING_* names of earlier versions are still read as defaults."""

from config.settings.env import env_int, env_str

# Seconds one attempt may take in all (connect and every read together).
OUTBOX_SEND_DEADLINE_SECONDS = env_int(
    "OUTBOX_SEND_DEADLINE_SECONDS", env_int("PAGING_HTTP_TIMEOUT_SECONDS", 10)
)
# A claimed message whose sender has not recorded an outcome this many seconds after
# its claim is claimed again (its sender died): longer than the deadline above.
OUTBOX_LEASE_SECONDS = env_int("OUTBOX_LEASE_SECONDS", 30)
# Attempts before a message is given up as failed; retries back off exponentially from
# OUTBOX_RETRY_BASE_SECONDS (30 s, 60 s, 2 min, 4 min …), capped at an hour.
OUTBOX_MAX_ATTEMPTS = env_int("OUTBOX_MAX_ATTEMPTS", env_int("PAGING_MAX_ATTEMPTS", 5))
OUTBOX_RETRY_BASE_SECONDS = env_int(
    "OUTBOX_RETRY_BASE_SECONDS", env_int("PAGING_RETRY_BASE_SECONDS", 30)
)
OUTBOX_RETRY_MAX_SECONDS = 3600
# At most this many messages to one destination (transport and address) are sent at
# once; the others wait OUTBOX_BUSY_RETRY_SECONDS, without using an attempt. A receiver
# that hangs thus holds a couple of senders, never all of them. 0: no limit.
OUTBOX_MAX_IN_FLIGHT_PER_DESTINATION = env_int("OUTBOX_MAX_IN_FLIGHT_PER_DESTINATION", 2)
OUTBOX_BUSY_RETRY_SECONDS = env_int("OUTBOX_BUSY_RETRY_SECONDS", 2)
# The sweep hands out messages whose delivery task is this many seconds overdue.
OUTBOX_SWEEP_GRACE_SECONDS = env_int("OUTBOX_SWEEP_GRACE_SECONDS", 2)
# Low-urgency messages to one destination due within this many seconds of each other go
# out as one bundled message.
OUTBOX_BUNDLE_WINDOW_SECONDS = env_int("OUTBOX_BUNDLE_WINDOW_SECONDS", 5)
# The domain part of email Message-IDs (derived from each message's idempotency key).
EMAIL_MESSAGE_ID_DOMAIN = env_str("EMAIL_MESSAGE_ID_DOMAIN", "tocsin.invalid")
