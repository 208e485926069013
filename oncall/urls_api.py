from django.urls import path
from rest_framework.routers import SimpleRouter

from oncall.contacts.api.views import (
    ContactMethodViewSet,
    OnCallPreferenceRotateView,
    OnCallPreferenceView,
)
from oncall.policies.api.views import EscalationPolicyViewSet, TeamEscalationPolicyView
from oncall.schedules.api.views import ScheduleViewSet
from oncall.teams.api.views import TeamViewSet

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
