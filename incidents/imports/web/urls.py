"""URLs of the staff import page (in the ``web`` namespace)."""

from django.urls import path

from incidents.imports.web import views

urlpatterns = [
    path("imports/", views.import_page, name="imports"),
    path("imports/apply/", views.import_apply_view, name="imports-apply"),
]
