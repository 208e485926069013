from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from incidents.alerts.api.ingest import enqueue, healthz
from incidents.paging.web.views import acknowledge_link
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
]

urlpatterns = [
    # The endpoints machines call most come first: the resolver tries patterns in order.
    # PagerDuty Events API v2, wire-compatible, at the same path as PagerDuty's.
    path("v2/enqueue", enqueue, name="events-v2-enqueue"),
    path("healthz", healthz, name="healthz"),
    path("", include("incidents.web.urls")),
    path("", include("incidents.reporting.web.urls")),
    path("", include("postmortems.web.urls")),
    path("", include("oncall.web.urls")),
    path("", include("runbooks.web.urls")),
    path("metrics", prometheus_metrics, name="prometheus-metrics"),
    path("admin/", admin.site.urls),
    path("ack/<str:token>/", acknowledge_link, name="incident-ack-link"),
    path("ical/schedules/<str:token>.ics", schedule_feed, name="schedule-ical-feed"),
    path("ical/users/<str:token>.ics", user_feed, name="user-ical-feed"),
    path("accounts/", include("allauth.urls")),
    path("api/v1/", include(api_v1)),
    path("status/", include("incidents.communication.web.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
]
