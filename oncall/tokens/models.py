"""An API token: ``tcs_<prefix>_<secret>``. The prefix is public (it finds the row and is
shown in lists); only the SHA-256 digest of the whole token is stored, so a copy of the
database does not hold a usable token. A token belongs to a person or to a team; a team's
token acts as its own service account, a member of the team (GitLab's project access
tokens work the same way), so every team check the API makes applies to it unchanged.

No django-simple-history here: every change of a token is an audit row
(``oncall.audit``), and ``last_used_at`` is written with a conditional update at most once
a minute, which history would not see anyway."""

import hashlib

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

TOKEN_MARK = "tcs_"  # noqa: S105 - the public mark of our tokens, not a secret
PREFIX_LENGTH = 10


class TokenScope(models.TextChoices):
    READ = "read", "Read only"
    WRITE = "write", "Read and write"
    INTEGRATIONS = "integrations", "Read, write and manage integrations"


# What a token's ``state`` says (computed, not stored).
TOKEN_STATES = ["active", "expired", "revoked"]
SCOPE_RANK: dict[str, int] = {TokenScope.READ: 0, TokenScope.WRITE: 1, TokenScope.INTEGRATIONS: 2}


def token_digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiToken(models.Model):
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="api_tokens",
    )
    team = models.ForeignKey(
        "oncall.Team", null=True, blank=True, on_delete=models.CASCADE, related_name="api_tokens"
    )
    # A team token's own account (a member of the team, no password, no e-mail).
    service_user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="service_token",
    )
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=PREFIX_LENGTH, unique=True)
    secret_hash = models.CharField(max_length=64)
    scope = models.CharField(max_length=20, choices=TokenScope.choices)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    last_used_address = models.GenericIPAddressField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    replaced_by = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="replaces"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(owner__isnull=False) & Q(team__isnull=True))
                | (Q(owner__isnull=True) & Q(team__isnull=False)),
                name="api_token_one_owner",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({TOKEN_MARK}{self.prefix}…)"

    @property
    def display_prefix(self) -> str:
        return f"{TOKEN_MARK}{self.prefix}_…"

    def state_at(self, now=None) -> str:
        now = now or timezone.now()
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at <= now:
            return "expired"
        return "active"

    @property
    def state(self) -> str:
        return self.state_at()
