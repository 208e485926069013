"""The core's API: severities, services and incidents."""

from common.api import Router
from incidents.api.views import IncidentViewSet, ServiceViewSet, SeverityViewSet

router = Router()
router.register("severities", SeverityViewSet, basename="severity")
router.register("services", ServiceViewSet, basename="service")
router.register("incidents", IncidentViewSet, basename="incident")

urlpatterns = router.urls
