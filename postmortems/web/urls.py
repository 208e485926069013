from django.urls import path

from postmortems.web import views

urlpatterns = [
    path("action-items/", views.action_item_board_page, name="action-item-board"),
    path(
        "action-items/<int:item_id>/status/",
        views.action_item_status,
        name="action-item-status",
    ),
    path("postmortems/", views.postmortem_list_page, name="postmortem-list"),
    path("postmortems/<int:postmortem_id>/", views.postmortem_detail, name="postmortem-detail"),
    path(
        "postmortems/<int:postmortem_id>/print/",
        views.postmortem_print,
        name="postmortem-print",
    ),
    path(
        "postmortems/<int:postmortem_id>/action-items/",
        views.postmortem_add_action_item,
        name="postmortem-add-action-item",
    ),
    path(
        "postmortems/<int:postmortem_id>/<slug:action>/",
        views.postmortem_action,
        name="postmortem-action",
    ),
]
