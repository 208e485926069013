"""Admin for integrations, alerts and raw alert events. Integrations are created, edited
and their keys rotated through the room's services (a team manager's right); the key is
shown once, in a message. Alerts, events and change events are read-only records."""

from django.contrib import admin, messages
from simple_history.admin import SimpleHistoryAdmin

from common.admin import ReadOnlyAdmin
from common.errors import DomainError
from incidents.alerts import services as alert_services
from incidents.alerts.models import (
    Alert,
    AlertEvent,
    ChangeEvent,
    HeartbeatMonitor,
    Integration,
)
from incidents.alerts.services.integrations import INTEGRATION_FIELDS, integration_url


@admin.register(Integration)
class IntegrationAdmin(SimpleHistoryAdmin):
    list_display = ["name", "team", "service", "kind", "enabled", "routing_key_hint"]
    list_select_related = ["team", "service"]  # service is nullable: not in the default
    list_filter = ["kind", "enabled", "team"]
    search_fields = ["name", "team__name", "routing_key_hint"]
    autocomplete_fields = ["team", "service"]
    readonly_fields = ["routing_key_hint", "created_at"]
    actions = ["rotate_key"]

    def get_readonly_fields(self, request, obj=None):
        # The kind and team of an existing integration stay as created.
        return [*self.readonly_fields, "kind", "team"] if obj else self.readonly_fields

    def save_model(self, request, obj, form, change) -> None:
        data = {k: v for k, v in form.cleaned_data.items() if k in INTEGRATION_FIELDS}
        try:
            if not change:
                created, key = alert_services.integration_create(
                    actor=request.user,
                    team=form.cleaned_data["team"],
                    kind=form.cleaned_data["kind"],
                    **data,
                )
                obj.pk = created.pk
                self._show_key(request, created, key)
            else:
                changed = {k: v for k, v in data.items() if k in form.changed_data}
                if changed:
                    alert_services.integration_update(
                        actor=request.user, integration=obj, **changed
                    )
        except DomainError as exc:
            self.message_user(request, exc.detail, messages.ERROR)
            return
        obj.refresh_from_db()

    def _show_key(self, request, integration: Integration, key: str) -> None:
        self.message_user(
            request,
            f"Routing key of {integration.name} (shown only now): {key} — "
            f"URL: {integration_url(integration, key)}",
            messages.WARNING,
        )

    @admin.action(description="Rotate the routing key (the old key stops working)")
    def rotate_key(self, request, queryset) -> None:
        for integration in queryset:
            rotated, key = alert_services.integration_rotate_key(
                actor=request.user, integration=integration
            )
            self._show_key(request, rotated, key)


@admin.register(Alert)
class AlertAdmin(ReadOnlyAdmin):
    list_display = ["summary", "integration", "incident", "status", "count", "last_seen"]
    list_filter = ["status", "is_open", "storm", "integration"]
    search_fields = ["summary", "name", "dedup_key", "source"]
    list_select_related = ["integration", "incident__team"]
    date_hierarchy = "last_seen"


@admin.register(AlertEvent)
class AlertEventAdmin(ReadOnlyAdmin):
    list_display = ["received_at", "integration", "action", "dedup_key"]
    list_filter = ["action", "integration"]
    search_fields = ["dedup_key"]
    list_select_related = ["integration"]
    date_hierarchy = "received_at"


@admin.register(ChangeEvent)
class ChangeEventAdmin(ReadOnlyAdmin):
    list_display = ["timestamp", "summary", "service", "integration", "source"]
    list_filter = ["integration", "service"]
    search_fields = ["summary", "source"]
    list_select_related = ["integration", "service"]  # service is nullable
    date_hierarchy = "timestamp"


@admin.register(HeartbeatMonitor)
class HeartbeatMonitorAdmin(ReadOnlyAdmin):
    """Created and deleted through the API (the service checks the team's managers);
    read-only here, like the alerts its expiries open."""

    list_display = [
        "name",
        "team",
        "integration",
        "interval_seconds",
        "enabled",
        "expired",
        "last_ping_at",
        "expires_at",
    ]
    list_filter = ["enabled", "expired", "team"]
    search_fields = ["name", "team__name"]
    list_select_related = ["team", "integration"]
