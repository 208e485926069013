"""URLs of the audit log pages (in the ``web`` namespace)."""

from django.urls import path

from oncall.audit.web import views

urlpatterns = [
    path("audit/", views.audit_log, name="audit-log"),
    path("audit/export.csv", views.audit_export, name="audit-log-export"),
]
