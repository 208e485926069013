"""Admin for integrations, alerts and PagerDuty mirroring. Integrations are created and
their keys rotated through incidents.alerts; the key is shown once, in a message."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from common.admin import ReadOnlyAdmin
from incidents.mirroring.models import MirrorDelivery, PagerDutyMirror


@admin.register(PagerDutyMirror)
class PagerDutyMirrorAdmin(SimpleHistoryAdmin):
    list_display = ["__str__", "team", "service", "enabled", "created_at"]
    list_select_related = ["team", "service"]
    list_filter = ["enabled", "team"]
    autocomplete_fields = ["team", "service"]


@admin.register(MirrorDelivery)
class MirrorDeliveryAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "incident", "action", "status", "attempts", "sent_at"]
    list_filter = ["status", "action"]
    list_select_related = ["incident__team"]
