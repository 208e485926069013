"""URLs of the teams API (under /api/v1/)."""

from common.api import Router
from oncall.teams.api.views import TeamViewSet

router = Router()
router.register("teams", TeamViewSet, basename="team")

urlpatterns = router.urls
