"""Settings for the test suite (pytest's DJANGO_SETTINGS_MODULE): production/development
settings plus speedups and guards that hold for every test."""

from config.settings import *  # noqa: F403

# Hashing a password the default way (PBKDF2, hundreds of thousands of rounds) dominates
# tests that create users; MD5 is fine for throwaway test accounts.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Outside services default to their real addresses; a test that forgets to point one at
# its local receiver must fail on a refused local connection, never reach the internet.
SLACK_API_URL = "http://127.0.0.1:9/api/"
PAGERDUTY_EVENTS_URL = "http://127.0.0.1:9"
TWILIO_API_URL = "http://127.0.0.1:9"
# Receivers in tests are local servers; the outbound-guard tests turn the guard back on.
OUTBOUND_ALLOW_PRIVATE_NETWORKS = True
# Tests compare links with this address, whatever PORT `make` exports.
SITE_URL = "http://localhost:8000"
