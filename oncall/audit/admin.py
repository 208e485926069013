"""The audit log in the admin: read-only (no add, change or delete, not even for
superusers), and the mixin that records what staff change in the admin of on-call."""

import json

from django.contrib import admin

from oncall.audit.models import AuditAction, AuditEvent
from oncall.audit.services import audit_record


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ("at", "actor_label", "action", "team", "target_label", "source_address")
    list_filter = ("action", "team")
    search_fields = ("actor_label", "target_label", "source_address")
    date_hierarchy = "at"
    list_select_related = ("team",)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class AuditedAdminMixin:
    """For a ModelAdmin of rows with a ``team``: each add, change and delete made in the
    admin is an audit row too, with Django's own change message (which fields, which
    inlines). Hooks the admin's LogEntry calls, so bulk delete actions are covered."""

    def _audit(self, request, obj, action, message) -> None:
        audit_record(
            action=action,
            actor=request.user,
            request=request,
            team=getattr(obj, "team_id", None),
            target=obj,
            details={"change": json.loads(json.dumps(message, default=str))} if message else {},
        )

    def log_addition(self, request, obj, message):
        self._audit(request, obj, AuditAction.ADMIN_ADDED, message)
        return super().log_addition(request, obj, message)  # type: ignore[misc]

    def log_change(self, request, obj, message):
        self._audit(request, obj, AuditAction.ADMIN_CHANGED, message)
        return super().log_change(request, obj, message)  # type: ignore[misc]

    def log_deletions(self, request, queryset):
        for obj in queryset:
            self._audit(request, obj, AuditAction.ADMIN_DELETED, "")
        return super().log_deletions(request, queryset)  # type: ignore[misc]
