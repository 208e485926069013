"""Teams, the people in them (a membership with a role: member or manager), the
invitations that bring new people in, and the identity-provider groups that grant
memberships at each SSO login."""

import datetime

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from simple_history.models import HistoricalRecords

team_key_validator = RegexValidator(
    r"^[A-Z][A-Z0-9]{1,9}$", "2–10 capital letters or digits, starting with a letter (e.g. PAY)."
)


class Team(models.Model):
    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    # Prefix of the team's incident numbers: PAY-42.
    key = models.CharField(max_length=10, unique=True, validators=[team_key_validator])
    description = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="TeamMembership", related_name="teams"
    )
    # The default policy for the team's incidents (a service may name its own).
    escalation_policy = models.ForeignKey(
        "oncall.EscalationPolicy",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="default_for_teams",
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class TeamRole(models.TextChoices):
    MEMBER = "member", "Member"
    MANAGER = "manager", "Manager"


class TeamMembership(models.Model):
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="team_memberships"
    )
    role = models.CharField(max_length=10, choices=TeamRole.choices, default=TeamRole.MEMBER)
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["team", "user"]
        constraints = [
            models.UniqueConstraint(fields=["team", "user"], name="unique_team_membership"),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.team} ({self.role})"


class IdpGroupMapping(models.Model):
    group = models.CharField(max_length=255, help_text="The group name as the IdP sends it.")
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="idp_group_mappings")
    role = models.CharField(max_length=10, choices=TeamRole.choices, default=TeamRole.MEMBER)

    history = HistoricalRecords()

    class Meta:
        ordering = ["group", "team"]
        verbose_name = "IdP group mapping"
        constraints = [
            models.UniqueConstraint(fields=["group", "team"], name="unique_idp_group_per_team"),
        ]

    def __str__(self) -> str:
        return f"{self.group} → {self.team} ({self.role})"


# An invitation link works for this long after it was sent.
INVITATION_LIFETIME = datetime.timedelta(days=7)


class InvitationState(models.TextChoices):
    PENDING = "pending", "Waiting for an answer"
    ACCEPTED = "accepted", "Accepted"
    REVOKED = "revoked", "Withdrawn"
    EXPIRED = "expired", "Expired"


class TeamInvitation(models.Model):
    """An invitation to join ``team`` with ``role``, sent to ``email``. The link carries
    the invitation's id and ``nonce`` signed with SECRET_KEY: a copy of the database alone
    cannot make a working link, and inviting the same address again makes a new nonce, so
    the old link stops working."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="invitations")
    # Stored in lower case (the services normalise it).
    email = models.EmailField(max_length=254)
    role = models.CharField(max_length=10, choices=TeamRole.choices, default=TeamRole.MEMBER)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="team_invitations_sent",
    )
    nonce = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="team_invitations_accepted",
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    history = HistoricalRecords(excluded_fields=["nonce"])

    class Meta:
        ordering = ["team", "-sent_at"]
        constraints = [
            # One open invitation per team and address: inviting again renews it.
            models.UniqueConstraint(
                fields=["team", "email"],
                condition=models.Q(accepted_at__isnull=True, revoked_at__isnull=True),
                name="one_open_invitation_per_team_and_email",
            ),
            models.CheckConstraint(
                condition=models.Q(accepted_at__isnull=True) | models.Q(revoked_at__isnull=True),
                name="invitation_not_both_accepted_and_revoked",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.email} to {self.team} ({self.role})"

    def state_at(self, now: datetime.datetime) -> str:
        if self.accepted_at is not None:
            return InvitationState.ACCEPTED
        if self.revoked_at is not None:
            return InvitationState.REVOKED
        if now >= self.expires_at:
            return InvitationState.EXPIRED
        return InvitationState.PENDING
