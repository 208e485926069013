"""URLs of the on-call pages: the on-call page and its override forms, "Cover this
shift", "My shifts", and the schedule and escalation-policy editors."""

from django.urls import path

from oncall.web import editors, flowcharts, shifts, views

urlpatterns = [
    path("oncall/", views.oncall_page, name="oncall-page"),
    path("oncall/my-shifts/", shifts.my_shifts, name="my-shifts"),
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
    path("oncall/schedules/<int:schedule_id>/cover/", shifts.cover, name="oncall-cover"),
    path(
        "oncall/teams/<int:team_id>/schedules/new/",
        editors.schedule_new,
        name="oncall-schedule-new",
    ),
    path("oncall/schedules/<int:schedule_id>/", editors.schedule_edit, name="oncall-schedule-edit"),
    path("oncall/teams/<int:team_id>/policies/new/", editors.policy_new, name="oncall-policy-new"),
    path("oncall/policies/<int:policy_id>/", editors.policy_edit, name="oncall-policy-edit"),
    path(
        "oncall/policies/<int:policy_id>/flowchart.svg",
        flowcharts.policy_flowchart_svg,
        name="oncall-policy-flowchart",
    ),
]
