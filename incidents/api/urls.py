"""The core's API: severities, services and incidents."""

from rest_framework.routers import SimpleRouter

from incidents.api.views import IncidentViewSet, ServiceViewSet, SeverityViewSet

router = SimpleRouter()
router.register("severities", SeverityViewSet, basename="severity")
router.register("services", ServiceViewSet, basename="service")
router.register("incidents", IncidentViewSet, basename="incident")

urlpatterns = router.urls
