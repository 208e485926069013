"""Identity-provider groups that grant team memberships (edited in the admin; the
TEAM_GROUP_MAPPING setting adds rules from the environment). See oncall.sso."""

from django.db import models
from simple_history.models import HistoricalRecords

from oncall.models.teams import Team, TeamRole


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
