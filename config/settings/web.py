"""The web app and operators' endpoints."""

from config.settings.env import env_str

# Bearer token for GET /metrics (Prometheus). Unset: the endpoint answers 404.
METRICS_TOKEN = env_str("METRICS_TOKEN")
# Seconds between refreshes of an open SEV1 incident page.
INCIDENT_PAGE_REFRESH_SECONDS = 30
