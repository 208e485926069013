"""URLs of the API tokens API (under /api/v1/)."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from oncall.tokens.api.views import TeamTokenListView, TokenViewSet

router = SimpleRouter()
router.register("tokens", TokenViewSet, basename="token")

urlpatterns = [
    path("teams/<int:team_id>/tokens/", TeamTokenListView.as_view(), name="team-token-list"),
    *router.urls,
]
