"""The metrics page and the page that defines its figures."""

from django.urls import path

from incidents.reporting.web import views

urlpatterns = [
    path("metrics/", views.metrics_page, name="metrics-page"),
    path("metrics/definitions/", views.metric_definitions, name="metric-definitions"),
]
