"""URLs of the schedules API (under /api/v1/)."""

from common.api import Router
from oncall.schedules.api.views import ScheduleViewSet

router = Router()
router.register("schedules", ScheduleViewSet, basename="schedule")

urlpatterns = router.urls
