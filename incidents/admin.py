"""Admin for the incidents core: severities, services, incidents and their timeline.
Incidents are declared and edited through incidents.services and move only by the
acknowledge and resolve actions; the timeline is read-only; neither is ever deleted."""

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from common.errors import DomainError
from incidents import services
from incidents.models import Incident, Service, Severity, TimelineEvent


@admin.register(Severity)
class SeverityAdmin(SimpleHistoryAdmin):
    list_display = [
        "name",
        "label",
        "ack_target",
        "resolve_target",
        "postmortem_required",
        "status_page_deadline",
        "update_cadence",
        "urgency",
    ]
    list_filter = ["postmortem_required", "urgency"]
    search_fields = ["name", "label", "description"]


@admin.register(Service)
class ServiceAdmin(SimpleHistoryAdmin):
    list_display = ["name", "slug", "team", "created_at"]
    list_filter = ["team"]
    search_fields = ["name", "slug", "description"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["team"]


class TimelineEventInline(admin.TabularInline):
    model = TimelineEvent
    extra = 0
    can_delete = False
    fields = ["created_at", "kind", "actor", "message", "data"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Incident)
class IncidentAdmin(SimpleHistoryAdmin):
    """Edits go through incidents.services, like every other client: declaring creates
    the timeline, and status moves only through the actions."""

    list_display = ["reference", "title", "team", "severity", "status", "triggered_at"]
    list_filter = ["status", "severity", "team", "private", "resolution"]
    search_fields = ["title", "summary", "dedup_key"]
    date_hierarchy = "triggered_at"
    autocomplete_fields = ["team", "commander", "scribe", "communications_lead", "services"]
    readonly_fields = [
        "number",
        "status",
        "resolution",
        "triggered_at",
        "acknowledged_at",
        "resolved_at",
        "reopen_count",
        "created_by",
        "source",
        "dedup_key",
    ]
    inlines = [TimelineEventInline]
    actions = ["acknowledge", "resolve"]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("team", "severity")

    @admin.display(description="Incident", ordering="number")
    def reference(self, obj: Incident) -> str:
        return obj.reference

    def save_model(self, request, obj, form, change) -> None:
        data = form.cleaned_data
        if not change:
            created = services.incident_create(
                actor=request.user,
                team=data["team"],
                title=data["title"],
                severity=data["severity"],
                summary=data.get("summary", ""),
                commander=data.get("commander"),
                scribe=data.get("scribe"),
                communications_lead=data.get("communications_lead"),
                services=data.get("services") or [],
                impact=data.get("impact", ""),
                private=data.get("private", False),
                source="admin",
            )
            obj.pk = created.pk
            obj.refresh_from_db()
            return
        fields = {
            name: data[name] for name in form.changed_data if name in services.EDITABLE_FIELDS
        }
        if "services" in fields:
            fields["services"] = list(fields["services"])
        if fields:
            services.incident_update(incident=obj.pk, actor=request.user, **fields)
        obj.refresh_from_db()

    def save_related(self, request, form, formsets, change) -> None:
        # incident_create / incident_update already saved the services; only the
        # (read-only) inlines remain.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def _run(self, request, queryset, action, verb: str) -> None:
        done = 0
        for incident in queryset:
            try:
                action(incident=incident, actor=request.user)
                done += 1
            except DomainError as exc:
                self.message_user(request, f"{incident.reference}: {exc.detail}", messages.WARNING)
        if done:
            self.message_user(request, f"{verb} {done} incident(s).", messages.SUCCESS)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # an incident is a record (and its timeline): resolve it, never delete it

    @admin.action(description="Acknowledge selected incidents")
    def acknowledge(self, request, queryset) -> None:
        self._run(request, queryset, services.incident_acknowledge, "Acknowledged")

    @admin.action(description="Resolve selected incidents")
    def resolve(self, request, queryset) -> None:
        self._run(request, queryset, services.incident_resolve, "Resolved")


@admin.register(TimelineEvent)
class TimelineEventAdmin(admin.ModelAdmin):
    """Append-only: readable and searchable, never edited."""

    list_display = ["created_at", "incident", "kind", "actor", "message"]
    list_filter = ["kind"]
    search_fields = ["message", "incident__title"]
    list_select_related = ["incident__team", "actor"]

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
