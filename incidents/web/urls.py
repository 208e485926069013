"""URLs of the core's pages."""

from django.urls import path

from incidents.web import views

urlpatterns = [
    path("", views.home, name="home"),
    path("incidents/", views.incident_list, name="incident-list"),
    path("incidents/declare/", views.incident_declare, name="incident-declare"),
    path("incidents/<int:incident_id>/", views.incident_detail, name="incident-detail"),
    path(
        "incidents/<int:incident_id>/<slug:action>/",
        views.incident_action,
        name="incident-action",
    ),
]
