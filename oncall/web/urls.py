"""URLs of the on-call page and its override forms."""

from django.urls import path

from oncall.web import views

urlpatterns = [
    path("oncall/", views.oncall_page, name="oncall-page"),
    path(
        "oncall/schedules/<int:schedule_id>/overrides/",
        views.override_add,
        name="oncall-override-add",
    ),
    path(
        "oncall/schedules/<int:schedule_id>/overrides/<int:override_id>/delete/",
        views.override_remove,
        name="oncall-override-delete",
    ),
]
