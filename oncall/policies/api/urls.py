"""URLs of the escalation policies API (under /api/v1/), with a team's default policy."""

from django.urls import path

from common.api import Router
from oncall.policies.api.views import EscalationPolicyViewSet, TeamEscalationPolicyView

router = Router()
router.register("escalation-policies", EscalationPolicyViewSet, basename="escalation-policy")

urlpatterns = [
    *router.urls,
    path(
        "teams/<int:pk>/escalation-policy/",
        TeamEscalationPolicyView.as_view(),
        name="team-escalation-policy",
    ),
]
