"""Read-only admin views of the paging engine's state: escalations and pages."""

from django.contrib import admin

from common.admin import ReadOnlyAdmin
from incidents.paging.models import IncidentEscalation, Page


@admin.register(IncidentEscalation)
class IncidentEscalationAdmin(ReadOnlyAdmin):
    list_display = ["incident", "state", "run", "rule_index", "loop", "next_escalation_at"]
    list_filter = ["state"]


@admin.register(Page)
class PageAdmin(ReadOnlyAdmin):
    list_display = [
        "incident",
        "user",
        "level",
        "loop",
        "channel",
        "status",
        "attempts",
        "sent_at",
        "message",
    ]
    list_filter = ["status", "channel"]
    search_fields = ["user__username", "incident__title"]
