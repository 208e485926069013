"""The communication API: an incident's updates, status-page settings and Slack channel, and
the public status page."""

from django.urls import path

from incidents.communication.api.views import (
    IncidentChannelView,
    IncidentStatusPageView,
    IncidentUpdatesView,
    StatusPageView,
)

urlpatterns = [
    path("incidents/<int:pk>/updates/", IncidentUpdatesView.as_view(), name="incident-updates"),
    path(
        "incidents/<int:pk>/status-page/",
        IncidentStatusPageView.as_view(),
        name="incident-status-page",
    ),
    path("incidents/<int:pk>/channel/", IncidentChannelView.as_view(), name="incident-channel"),
    path("status/", StatusPageView.as_view(), name="status-api"),
]
