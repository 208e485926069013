from django.urls import path

from readiness.report.web import views

urlpatterns = [
    path("readiness/", views.readiness_page, name="readiness"),
    path("readiness/<int:team_id>/", views.readiness_team_page, name="readiness-team"),
]
