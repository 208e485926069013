"""The public status page and its Atom feed."""

from django.urls import path

from incidents.communication.web.views import StatusFeed, status_page_view

urlpatterns = [
    path("status/", status_page_view, name="status-page"),
    path("status/feed.atom", StatusFeed(), name="status-feed"),
]
