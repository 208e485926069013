"""The PagerDuty mirrors API."""

from rest_framework.routers import SimpleRouter

from incidents.mirroring.api.views import PagerDutyMirrorViewSet

router = SimpleRouter()
router.register("pagerduty-mirrors", PagerDutyMirrorViewSet, basename="pagerduty-mirror")

urlpatterns = router.urls
