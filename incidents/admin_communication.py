"""Admin pages for incident communication (imported by incidents.apps.ready)."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from incidents.models import (
    CommunicationReminder,
    EscalationNoticeRule,
    EscalationNoticeSent,
    IncidentChannel,
    IncidentCommunication,
    MaintenanceWindow,
    StatusUpdate,
    TeamCommunicationSettings,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records of what was sent: readable, never edited by hand."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(EscalationNoticeRule)
class EscalationNoticeRuleAdmin(SimpleHistoryAdmin):
    list_display = ["severity", "after_minutes", "target", "requires_customer_impact", "active"]
    list_filter = ["severity", "target", "active"]
    list_editable = ["after_minutes", "active"]


@admin.register(TeamCommunicationSettings)
class TeamCommunicationSettingsAdmin(SimpleHistoryAdmin):
    list_display = ["team"]
    autocomplete_fields = ["team"]


@admin.register(MaintenanceWindow)
class MaintenanceWindowAdmin(SimpleHistoryAdmin):
    list_display = ["title", "team", "starts_at", "ends_at"]
    list_filter = ["team"]
    filter_horizontal = ["services"]
    date_hierarchy = "starts_at"


@admin.register(IncidentCommunication)
class IncidentCommunicationAdmin(SimpleHistoryAdmin):
    list_display = ["incident", "status_page_state", "public_title", "customer_impact"]
    raw_id_fields = ["incident"]


@admin.register(StatusUpdate)
class StatusUpdateAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "incident", "audience", "status", "author"]
    list_filter = ["audience"]
    list_select_related = ["incident__team", "author"]


@admin.register(CommunicationReminder)
class CommunicationReminderAdmin(ReadOnlyAdmin):
    list_display = ["sent_at", "incident", "kind", "due_at"]
    list_filter = ["kind"]


@admin.register(EscalationNoticeSent)
class EscalationNoticeSentAdmin(ReadOnlyAdmin):
    list_display = ["sent_at", "incident", "rule"]


@admin.register(IncidentChannel)
class IncidentChannelAdmin(ReadOnlyAdmin):
    list_display = ["name", "incident", "state", "channel_id", "created_at"]
    list_filter = ["state"]
