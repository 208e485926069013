"""URLs of the teams API (under /api/v1/)."""

from rest_framework.routers import SimpleRouter

from oncall.teams.api.views import TeamViewSet

router = SimpleRouter()
router.register("teams", TeamViewSet, basename="team")

urlpatterns = router.urls
