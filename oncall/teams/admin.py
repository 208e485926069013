"""Admin for teams (with their members inline), memberships, IdP group mappings and
invitations (read-only: they are sent from the team's page, which e-mails the link)."""

from django.contrib import admin, messages
from django.utils import timezone
from simple_history.admin import SimpleHistoryAdmin

from common.errors import DomainError
from oncall.teams.models import (
    IdpGroupMapping,
    InvitationState,
    Team,
    TeamInvitation,
    TeamMembership,
)
from oncall.teams.services import team_invitation_revoke


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


@admin.register(TeamInvitation)
class TeamInvitationAdmin(SimpleHistoryAdmin):
    """Who was invited where, and what became of it. New invitations are sent from the
    team's page (it e-mails the link); here they can only be withdrawn."""

    list_display = ["email", "team", "role", "state", "invited_by", "sent_at", "expires_at"]
    list_select_related = ["team", "invited_by"]
    list_filter = ["role", "team"]
    search_fields = ["email", "team__name"]
    readonly_fields = [
        "team",
        "email",
        "role",
        "invited_by",
        "sent_at",
        "expires_at",
        "accepted_at",
        "accepted_by",
        "revoked_at",
    ]
    exclude = ["nonce"]
    actions = ["withdraw"]

    @admin.display(description="State")
    def state(self, invitation: TeamInvitation) -> str:
        return InvitationState(invitation.state_at(timezone.now())).label

    def has_add_permission(self, request) -> bool:
        return False

    @admin.action(description="Withdraw the selected invitations")
    def withdraw(self, request, queryset) -> None:
        done = 0
        for invitation in queryset:
            try:
                team_invitation_revoke(actor=request.user, invitation=invitation)
            except DomainError as error:
                self.message_user(request, f"{invitation.email}: {error.detail}", messages.ERROR)
            else:
                done += 1
        if done:
            self.message_user(request, f"{done} invitation(s) withdrawn.", messages.SUCCESS)
