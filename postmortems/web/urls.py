from django.urls import path

from postmortems.web import views

urlpatterns = [
    path("action-items/", views.action_item_board_page, name="action-item-board"),
    path(
        "action-items/<int:item_id>/status/",
        views.action_item_status,
        name="action-item-status",
    ),
    path(
        "action-items/<int:item_id>/remove/",
        views.action_item_remove,
        name="action-item-remove",
    ),
    path("postmortems/", views.postmortem_list_page, name="postmortem-list"),
    path("postmortems/<int:postmortem_id>/", views.postmortem_detail, name="postmortem-detail"),
    path(
        "postmortems/<int:postmortem_id>/print/",
        views.postmortem_print,
        name="postmortem-print",
    ),
    path(
        "postmortems/<int:postmortem_id>/markdown/",
        views.postmortem_markdown,
        name="postmortem-markdown",
    ),
    path(
        "postmortems/<int:postmortem_id>/action-items/",
        views.postmortem_add_action_item,
        name="postmortem-add-action-item",
    ),
    # One section, or one row of a rows section, at a time (the page's inline forms).
    path(
        "postmortems/<int:postmortem_id>/sections/<slug:name>/",
        views.postmortem_section_save,
        name="postmortem-section-save",
    ),
    path(
        "postmortems/<int:postmortem_id>/rows/<slug:section>/",
        views.postmortem_row_add,
        name="postmortem-row-add",
    ),
    path(
        "postmortems/<int:postmortem_id>/rows/<slug:section>/<int:row_id>/",
        views.postmortem_row_save,
        name="postmortem-row-save",
    ),
    path(
        "postmortems/<int:postmortem_id>/rows/<slug:section>/<int:row_id>/remove/",
        views.postmortem_row_remove,
        name="postmortem-row-remove",
    ),
    path(
        "postmortems/<int:postmortem_id>/<slug:action>/",
        views.postmortem_action,
        name="postmortem-action",
    ),
]
