"""The public status page and its feed, and the incident page's "Share update"."""

from django.urls import path

from incidents.communication.web.views import (
    StatusFeed,
    share_update,
    share_update_preview,
    status_page_view,
)

urlpatterns = [
    path("status/", status_page_view, name="status-page"),
    path("status/feed.atom", StatusFeed(), name="status-feed"),
    path("incidents/<int:incident_id>/share-update/", share_update, name="incident-share-update"),
    path(
        "incidents/<int:incident_id>/share-update/preview/",
        share_update_preview,
        name="incident-share-update-preview",
    ),
]
