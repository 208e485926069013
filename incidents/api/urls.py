from django.urls import path
from rest_framework.routers import SimpleRouter

from incidents.api.metrics_views import MetricsView
from incidents.api.paging import IncidentPagesView, OnCallLoadView
from incidents.api.views import IncidentViewSet, ServiceViewSet, SeverityViewSet

router = SimpleRouter()
router.register("severities", SeverityViewSet, basename="severity")
router.register("services", ServiceViewSet, basename="service")
router.register("incidents", IncidentViewSet, basename="incident")

urlpatterns = [
    path("metrics/", MetricsView.as_view(), name="metrics"),
    *router.urls,
    *router.urls,
    path("incidents/<int:pk>/pages/", IncidentPagesView.as_view(), name="incident-pages"),
    path("oncall/load/", OnCallLoadView.as_view(), name="oncall-load"),
]
