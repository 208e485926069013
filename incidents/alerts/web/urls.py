"""URLs of the integrations pages (namespace ``web``)."""

from django.urls import path

from incidents.alerts.web import views

urlpatterns = [
    path("integrations/", views.integration_list_page, name="integration-list"),
    path(
        "integrations/<int:integration_id>/",
        views.integration_detail,
        name="integration-detail",
    ),
    path(
        "integrations/<int:integration_id>/test-event/",
        views.integration_test_event,
        name="integration-test-event",
    ),
    path(
        "integrations/<int:integration_id>/rotate-key/",
        views.integration_rotate,
        name="integration-rotate-key",
    ),
]
