from django.urls import path

from runbooks.web import views

urlpatterns = [
    path("runbooks/", views.runbook_list_page, name="runbook-list"),
    path("runbooks/coverage/", views.runbook_coverage_page, name="runbook-coverage"),
    path("runbooks/<int:runbook_id>/", views.runbook_detail, name="runbook-detail"),
    path("runbooks/<int:runbook_id>/tested/", views.runbook_tested, name="runbook-tested"),
    path(
        "incidents/<int:incident_id>/runbooks/<int:attachment_id>/accuracy/",
        views.runbook_accuracy,
        name="runbook-accuracy",
    ),
    path(
        "runbooks/<int:runbook_id>/versions/",
        views.runbook_versions_page,
        name="runbook-versions",
    ),
]
