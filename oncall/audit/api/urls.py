"""URLs of the audit log API (under /api/v1/)."""

from django.urls import path

from oncall.audit.api.views import AuditEventListView

urlpatterns = [path("audit-events/", AuditEventListView.as_view(), name="audit-event-list")]
