from django.urls import path

from common.api import Router
from runbooks.api.views import IncidentRunbookAccuracyView, IncidentRunbooksView, RunbookViewSet

router = Router()
router.register("runbooks", RunbookViewSet, basename="runbook")

urlpatterns = [
    path("incidents/<int:pk>/runbooks/", IncidentRunbooksView.as_view(), name="incident-runbooks"),
    path(
        "incidents/<int:pk>/runbooks/<int:attachment_id>/accuracy/",
        IncidentRunbookAccuracyView.as_view(),
        name="incident-runbook-accuracy",
    ),
    *router.urls,
]
