from django.urls import path

from readiness.report.api.views import TeamReadinessView

urlpatterns = [
    path("teams/<int:pk>/readiness/", TeamReadinessView.as_view(), name="team-readiness"),
]
