from django.urls import path

from readiness.drills.web import views

urlpatterns = [
    path("drills/", views.drill_list_page, name="drill-list"),
    path("drills/<int:drill_id>/", views.drill_detail_page, name="drill-detail"),
    path("drills/<int:drill_id>/report.md", views.drill_markdown, name="drill-markdown"),
    path("drills/<int:drill_id>/cancel/", views.drill_cancel, name="drill-cancel"),
    path(
        "drills/<int:drill_id>/findings/<int:finding_id>/action-item/",
        views.drill_finding_promote,
        name="drill-finding-promote",
    ),
]
