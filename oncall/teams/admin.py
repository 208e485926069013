"""Admin for teams (with their members inline), memberships and IdP group mappings."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from oncall.teams.models import IdpGroupMapping, Team, TeamMembership


class TeamMembershipInline(admin.TabularInline):
    model = TeamMembership
    extra = 1
    autocomplete_fields = ["user"]


@admin.register(Team)
class TeamAdmin(SimpleHistoryAdmin):
    list_display = ["name", "key", "slug", "created_at"]
    search_fields = ["name", "slug", "key"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [TeamMembershipInline]


@admin.register(TeamMembership)
class TeamMembershipAdmin(SimpleHistoryAdmin):
    list_display = ["team", "user", "role", "created_at"]
    list_filter = ["role", "team"]
    search_fields = ["team__name", "user__username", "user__email"]
    autocomplete_fields = ["user", "team"]


@admin.register(IdpGroupMapping)
class IdpGroupMappingAdmin(SimpleHistoryAdmin):
    """Which identity-provider group grants which team membership at each SSO login."""

    list_display = ["group", "team", "role"]
    list_filter = ["role", "team"]
    search_fields = ["group", "team__name"]
    autocomplete_fields = ["team"]
