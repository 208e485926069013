"""API tokens in the admin: listed read-only (the secret is not stored, so there is
nothing to show or edit); staff revoke leaked ones with an action, through the service."""

from django.contrib import admin, messages

from oncall.tokens.models import ApiToken
from oncall.tokens.services import token_revoke


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "prefix",
        "owner",
        "team",
        "scope",
        "expires_at",
        "last_used_at",
        "revoked_at",
    )
    list_filter = ("scope", "team")
    search_fields = ("name", "prefix", "owner__username")
    list_select_related = ("owner", "team")
    actions = ["revoke"]
    exclude = ("secret_hash",)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.action(description="Revoke the selected tokens")
    def revoke(self, request, queryset):
        for token in queryset:
            token_revoke(actor=request.user, token=token, request=request)
        messages.success(request, f"Revoked {queryset.count()} token(s).")
