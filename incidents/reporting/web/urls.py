"""The metrics page."""

from django.urls import path

from incidents.reporting.web import views

urlpatterns = [
    path("metrics/", views.metrics_page, name="metrics-page"),
]
