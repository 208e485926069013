"""URLs of the core's pages."""

from django.urls import path, register_converter

from incidents.web import views


class ActionConverter:
    """Only the core's own actions: ``/incidents/<id>/<other>/`` stays free for the
    rooms' pages of an incident (communication's ``share-update``)."""

    regex = "|".join(sorted(views.ACTIONS))

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(ActionConverter, "incident_action")

urlpatterns = [
    path("", views.home, name="home"),
    path("incidents/", views.incident_list, name="incident-list"),
    path("incidents/declare/", views.incident_declare, name="incident-declare"),
    path("incidents/<int:incident_id>/", views.incident_detail, name="incident-detail"),
    path(
        "incidents/<int:incident_id>/lifecycle.svg",
        views.incident_lifecycle_svg,
        name="incident-lifecycle",
    ),
    path(
        "incidents/<int:incident_id>/<incident_action:action>/",
        views.incident_action,
        name="incident-action",
    ),
]
