"""Admin for integrations, alerts and PagerDuty mirroring. Integrations are created and
their keys rotated through incidents.alerts; the key is shown once, in a message."""

from django.contrib import admin


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
