from django.urls import path
from rest_framework.routers import SimpleRouter

from incidents.alerts.api.ingest import AlertmanagerWebhookView, GenericWebhookView
from incidents.alerts.api.views import AlertViewSet, IntegrationViewSet
from incidents.api.views import IncidentViewSet, ServiceViewSet, SeverityViewSet
from incidents.mirroring.api.views import PagerDutyMirrorViewSet
from incidents.paging.api.views import IncidentPagesView, OnCallLoadView
from incidents.reporting.api.views import MetricsView

router = SimpleRouter()
router.register("severities", SeverityViewSet, basename="severity")
router.register("services", ServiceViewSet, basename="service")
router.register("incidents", IncidentViewSet, basename="incident")
router.register("integrations", IntegrationViewSet, basename="integration")
router.register("alerts", AlertViewSet, basename="alert")
router.register("pagerduty-mirrors", PagerDutyMirrorViewSet, basename="pagerduty-mirror")

urlpatterns = [
    path("metrics/", MetricsView.as_view(), name="metrics"),
    path("incidents/<int:pk>/pages/", IncidentPagesView.as_view(), name="incident-pages"),
    path("oncall/load/", OnCallLoadView.as_view(), name="oncall-load"),
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
