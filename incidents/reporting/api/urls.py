"""The metrics API."""

from django.urls import path

from incidents.reporting.api.views import MetricsView

urlpatterns = [
    path("metrics/", MetricsView.as_view(), name="metrics"),
]
