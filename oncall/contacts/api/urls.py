"""URLs of the caller's own contact methods, notification rules and on-call preferences
(under /api/v1/)."""

from django.urls import path

from common.api import Router
from oncall.contacts.api.views import (
    ContactMethodViewSet,
    NotificationRuleViewSet,
    OnCallPreferenceRotateView,
    OnCallPreferenceView,
)

router = Router()
router.register("users/me/contact-methods", ContactMethodViewSet, basename="contact-method")
router.register(
    "users/me/notification-rules", NotificationRuleViewSet, basename="notification-rule"
)

urlpatterns = [
    *router.urls,
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
