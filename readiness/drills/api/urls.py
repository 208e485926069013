from rest_framework.routers import SimpleRouter

from readiness.drills.api.views import DrillViewSet

router = SimpleRouter()
router.register("drills", DrillViewSet, basename="drill")

urlpatterns = router.urls
