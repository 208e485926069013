"""Teams, the people in them (a membership with a role: member or manager), and the
identity-provider groups that grant memberships at each SSO login."""

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
