"""The web app and operators' endpoints."""

from config.settings.env import env_int, env_str

# Bearer token for GET /metrics (Prometheus). Unset: the endpoint answers 404.
METRICS_TOKEN = env_str("METRICS_TOKEN")
# Seconds between refreshes of an open SEV1 incident page.
INCIDENT_PAGE_REFRESH_SECONDS = 30
# The flowcharts (policies, response process, lifecycle): Graphviz's `dot` and how long a
# drawing may take before the page shows the text outline instead.
GRAPHVIZ_DOT = env_str("GRAPHVIZ_DOT", "dot")
GRAPHVIZ_TIMEOUT_SECONDS = env_int("GRAPHVIZ_TIMEOUT_SECONDS", 10)

# Content-Security-Policy (django-csp): everything from the app's own origin, nothing
# inline, nothing from another origin; no framing.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        # No form-action: Chrome applies it to the redirect after a form is submitted, and
        # the SSO button's form redirects to the identity provider's origin (any origin an
        # operator configures). Forms still cannot be injected: no inline script or style.
        "frame-ancestors": ["'none'"],
    }
}
