"""Admin for PagerDuty mirroring: the mirrors (with their history) and the outbox of
deliveries, read-only."""

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
