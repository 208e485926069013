"""URL configuration: one namespace per audience, so names never collide.

- ``web``: the pages people use (``config.urls_web``);
- ``api``: the REST API under ``/api/v1/``, its schema and docs;
- ``ingest``: what monitoring tools and probes call (Events API, health, Prometheus);
- ``feeds``: the iCal feeds calendars subscribe to;
- ``admin`` and allauth's ``account_*`` names as those apps define them.

``tests/test_urls.py`` fails on any named route of ours outside a namespace.
"""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from incidents.alerts.api.ingest import change_enqueue, create_event_v1, enqueue, healthz
from incidents.alerts.api.opsgenie import alert_action, alert_create, heartbeat_ping_view
from incidents.reporting.web.prometheus import prometheus_metrics
from oncall.schedules.feeds import schedule_feed, user_feed

api_v1 = [
    path("", include("oncall.teams.api.urls")),
    path("", include("oncall.schedules.api.urls")),
    path("", include("oncall.policies.api.urls")),
    path("", include("oncall.contacts.api.urls")),
    path("", include("incidents.reporting.api.urls")),
    path("", include("incidents.paging.api.urls")),
    path("", include("incidents.api.urls")),
    path("", include("incidents.alerts.api.urls")),
    path("", include("incidents.mirroring.api.urls")),
    path("", include("incidents.communication.api.urls")),
    path("", include("runbooks.api.urls")),
    path("", include("postmortems.api.urls")),
    path("", include("readiness.drills.api.urls")),
    path("", include("readiness.report.api.urls")),
    path("", include("oncall.tokens.api.urls")),
    path("", include("oncall.audit.api.urls")),
]

api = [
    path("v1/", include(api_v1)),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves its start-up script as a file, not inline (CSP: script-src 'self').
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
]

# The endpoints machines call most come first: the resolver tries patterns in order.
ingest = [
    # PagerDuty Events API v2, wire-compatible, at the same path as PagerDuty's.
    path("v2/enqueue", enqueue, name="events-v2-enqueue"),
    # pypd and other clients append a slash.
    path("v2/enqueue/", enqueue, name="events-v2-enqueue-slash"),
    # PagerDuty Change Events.
    path("v2/change/enqueue", change_enqueue, name="change-events-enqueue"),
    path("v2/change/enqueue/", change_enqueue, name="change-events-enqueue-slash"),
    # PagerDuty Events API v1 (pypd's Event posts to it with a slash appended).
    path("generic/2010-04-15/create_event.json", create_event_v1, name="events-v1-create"),
    path("generic/2010-04-15/create_event.json/", create_event_v1, name="events-v1-create-slash"),
    # Opsgenie Alert API and heartbeat pings, at Opsgenie's paths (GenieKey = routing key).
    path("v2/alerts", alert_create, name="opsgenie-alert-create"),
    path(
        "v2/alerts/<path:identifier>/<str:action>",
        alert_action,
        name="opsgenie-alert-action",
    ),
    path("v2/heartbeats/<str:name>/ping", heartbeat_ping_view, name="opsgenie-heartbeat-ping"),
    path("healthz", healthz, name="healthz"),
    path("metrics", prometheus_metrics, name="prometheus-metrics"),
]

feeds = [
    path("ical/schedules/<str:token>.ics", schedule_feed, name="schedule-ical-feed"),
    path("ical/users/<str:token>.ics", user_feed, name="user-ical-feed"),
]

urlpatterns = [
    path("", include((ingest, "ingest"))),
    path("", include("config.urls_web")),
    path("", include((feeds, "feeds"))),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("api/", include((api, "api"))),
]

handler404 = "common.views.page_not_found"
handler500 = "common.views.server_error"
