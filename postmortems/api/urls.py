from common.api import Router
from postmortems.api.views import ActionItemViewSet, PostmortemViewSet

router = Router()
router.register("postmortems", PostmortemViewSet, basename="postmortem")
router.register("action-items", ActionItemViewSet, basename="action-item")

urlpatterns = router.urls
