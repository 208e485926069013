from django.urls import path
from rest_framework.routers import SimpleRouter

from oncall.api.oncall_views import (
    ContactMethodViewSet,
    EscalationPolicyViewSet,
    OnCallPreferenceRotateView,
    OnCallPreferenceView,
    ScheduleViewSet,
    TeamEscalationPolicyView,
)
from oncall.api.views import TeamViewSet

router = SimpleRouter()
router.register("teams", TeamViewSet, basename="team")
router.register("schedules", ScheduleViewSet, basename="schedule")
router.register("escalation-policies", EscalationPolicyViewSet, basename="escalation-policy")
router.register("users/me/contact-methods", ContactMethodViewSet, basename="contact-method")

urlpatterns = [
    *router.urls,
    path(
        "teams/<int:pk>/escalation-policy/",
        TeamEscalationPolicyView.as_view(),
        name="team-escalation-policy",
    ),
    path(
        "users/me/oncall-preferences/",
        OnCallPreferenceView.as_view(),
        name="oncall-preferences",
    ),
    path(
        "users/me/oncall-preferences/rotate-ical-url/",
        OnCallPreferenceRotateView.as_view(),
        name="oncall-preferences-rotate-ical-url",
    ),
]
