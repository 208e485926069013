"""The PagerDuty mirrors API."""

from common.api import Router
from incidents.mirroring.api.views import PagerDutyMirrorViewSet

router = Router()
router.register("pagerduty-mirrors", PagerDutyMirrorViewSet, basename="pagerduty-mirror")

urlpatterns = router.urls
