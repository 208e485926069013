"""URLs of the schedules API (under /api/v1/)."""

from rest_framework.routers import SimpleRouter

from oncall.schedules.api.views import ScheduleViewSet

router = SimpleRouter()
router.register("schedules", ScheduleViewSet, basename="schedule")

urlpatterns = router.urls
