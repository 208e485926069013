"""Admin pages for incident communication (loaded by ``config.apps``): escalation notice
rules, team communication settings and maintenance windows are edited here; an
incident's status-page settings are saved through ``incident_communication_set``;
updates and channels are read-only. What was sent (reminders, notices, e-mails, Slack
posts) is in the outbox's own read-only admin."""

from django import forms
from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from common.admin import ReadOnlyAdmin
from incidents.communication.models import (
    EscalationNoticeRule,
    IncidentChannel,
    IncidentCommunication,
    StatusUpdate,
    TeamCommunicationSettings,
)
from incidents.communication.services.updates import incident_communication_set
from incidents.models import MaintenanceWindow


@admin.register(EscalationNoticeRule)
class EscalationNoticeRuleAdmin(SimpleHistoryAdmin):
    list_display = ["severity", "after_minutes", "target", "requires_customer_impact", "active"]
    list_filter = ["severity", "target", "active"]
    list_editable = ["after_minutes", "active"]


@admin.register(TeamCommunicationSettings)
class TeamCommunicationSettingsAdmin(SimpleHistoryAdmin):
    list_display = ["team", "auto_publish"]
    list_filter = ["auto_publish"]
    autocomplete_fields = ["team"]


class MaintenanceWindowForm(forms.ModelForm):
    class Meta:
        model = MaintenanceWindow
        fields = ["team", "title", "description", "services", "starts_at", "ends_at"]

    def clean(self):
        data = super().clean()
        team, services = data.get("team"), data.get("services") or []
        foreign = [s.name for s in services if team is not None and s.team_id != team.pk]
        if foreign:
            raise forms.ValidationError(
                "Services must belong to the window's team: " + ", ".join(foreign)
            )
        starts, ends = data.get("starts_at"), data.get("ends_at")
        if starts and ends and ends <= starts:
            raise forms.ValidationError("The window must end after it starts.")
        return data


@admin.register(MaintenanceWindow)
class MaintenanceWindowAdmin(SimpleHistoryAdmin):
    form = MaintenanceWindowForm
    list_display = ["title", "team", "starts_at", "ends_at"]
    list_filter = ["team"]
    filter_horizontal = ["services"]
    date_hierarchy = "starts_at"


@admin.register(IncidentCommunication)
class IncidentCommunicationAdmin(SimpleHistoryAdmin):
    """Saves go through incident_communication_set (lock + timeline event)."""

    list_display = ["incident", "status_page_state", "public_title", "customer_impact"]
    raw_id_fields = ["incident"]

    def get_readonly_fields(self, request, obj=None):
        return ["incident"] if obj is not None else []

    def save_model(self, request, obj, form, change) -> None:
        fields = {
            name: form.cleaned_data[name]
            for name in ("status_page_state", "public_title", "customer_impact")
            if name in form.changed_data or not change
        }
        saved = incident_communication_set(incident=obj.incident_id, actor=request.user, **fields)
        obj.pk = saved.pk
        obj.refresh_from_db()


@admin.register(StatusUpdate)
class StatusUpdateAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "incident", "audience", "status", "author"]
    list_filter = ["audience"]
    list_select_related = ["incident__team", "author"]


@admin.register(IncidentChannel)
class IncidentChannelAdmin(ReadOnlyAdmin):
    list_display = ["name", "incident", "state", "channel_id", "created_at"]
    list_filter = ["state"]
