"""The paging API: an incident's pages and the on-call load report."""

from django.urls import path

from incidents.paging.api.views import IncidentPagesView, OnCallLoadView

urlpatterns = [
    path("incidents/<int:pk>/pages/", IncidentPagesView.as_view(), name="incident-pages"),
    path("oncall/load/", OnCallLoadView.as_view(), name="oncall-load"),
]
