"""Drills in the admin: read-only. Scheduling, cancelling and promoting findings go
through readiness.drills.services (the web pages and the API), which check the manager
role and write the announcements and webhooks with the change."""

from django.contrib import admin
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from readiness.drills.models import Drill, DrillFinding


class _ReadOnly:
    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class DrillFindingInline(_ReadOnly, admin.TabularInline):
    model = DrillFinding
    extra = 0
    fields = ["measure", "title", "detail", "action_item"]
    readonly_fields = fields


@admin.register(Drill)
class DrillAdmin(_ReadOnly, SimpleHistoryAdmin):
    list_display = ["title", "team", "severity", "scheduled_at", "status", "announced", "incident"]
    list_filter = ["status", "announced", "team"]
    search_fields = ["title", "scenario"]
    exclude = ["fault_secret"]
    inlines = [DrillFindingInline]
