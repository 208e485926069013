"""The integrations and alerts API, and the keyed ingestion webhooks (Alertmanager,
generic)."""

from django.urls import path

from common.api import Router
from incidents.alerts.api.changes import ChangeEventViewSet
from incidents.alerts.api.heartbeats import HeartbeatMonitorViewSet
from incidents.alerts.api.ingest import AlertmanagerWebhookView, GenericWebhookView
from incidents.alerts.api.views import AlertViewSet, IntegrationViewSet

router = Router()
router.register("integrations", IntegrationViewSet, basename="integration")
router.register("alerts", AlertViewSet, basename="alert")
router.register("change-events", ChangeEventViewSet, basename="change-event")
router.register("heartbeats", HeartbeatMonitorViewSet, basename="heartbeat")

urlpatterns = [
    path(
        "integrations/<str:routing_key>/alertmanager/",
        AlertmanagerWebhookView.as_view(),
        name="integration-alertmanager",
    ),
    path(
        "integrations/<str:routing_key>/webhook/",
        GenericWebhookView.as_view(),
        name="integration-webhook",
    ),
    *router.urls,
]
