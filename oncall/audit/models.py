"""One row per audited event. Rows are written once and never changed: the model refuses
an update or a delete of a row (pruning old rows deletes through a queryset, in
``oncall.audit.services.audit_prune``)."""

from django.conf import settings
from django.db import models
from django.utils import timezone


class AuditAction(models.TextChoices):
    SIGNIN_SUCCEEDED = "signin.succeeded", "Signed in"
    SIGNIN_FAILED = "signin.failed", "Sign-in failed"
    SIGNIN_LOCKED = "signin.locked", "Sign-in locked for an address"
    SIGNIN_UNLOCKED = "signin.unlocked", "Sign-in lock ended"
    TOKEN_CREATED = "token.created", "API token created"
    TOKEN_ROTATED = "token.rotated", "API token rotated"
    TOKEN_REVOKED = "token.revoked", "API token revoked"
    TOKEN_REFUSED = "token.refused", "Revoked or expired API token used"
    LEGACY_TOKEN_REVOKED = "token.legacy_revoked", "Legacy API token revoked"
    MEMBER_ADDED = "team.member_added", "Member added"
    MEMBER_ROLE_CHANGED = "team.role_changed", "Role changed"
    MEMBER_REMOVED = "team.member_removed", "Member removed"
    INTEGRATION_KEY_ROTATED = "integration.key_rotated", "Integration key rotated"
    IMPORT_APPLIED = "import.applied", "On-call import applied"
    ADMIN_ADDED = "admin.added", "Added in the admin"
    ADMIN_CHANGED = "admin.changed", "Changed in the admin"
    ADMIN_DELETED = "admin.deleted", "Deleted in the admin"


class AppendOnly(Exception):
    pass


class AuditEvent(models.Model):
    at = models.DateTimeField(default=timezone.now)
    # The actor's name is kept as text too: the row stays readable after the account goes.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    actor_label = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=40, choices=AuditAction.choices)
    # The team whose managers may read the row (none: staff only).
    team = models.ForeignKey(
        "oncall.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    target_type = models.CharField(max_length=60, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    target_label = models.CharField(max_length=200, blank=True)
    source_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=255, blank=True)
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["team", "at"], name="audit_team_at"),
            models.Index(fields=["at"], name="audit_at"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_label or '-'} {self.action}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnly("Audit events are never changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnly("Audit events are removed only by the retention task.")
