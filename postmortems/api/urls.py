from rest_framework.routers import SimpleRouter

from postmortems.api.views import ActionItemViewSet, PostmortemViewSet

router = SimpleRouter()
router.register("postmortems", PostmortemViewSet, basename="postmortem")
router.register("action-items", ActionItemViewSet, basename="action-item")

urlpatterns = router.urls
