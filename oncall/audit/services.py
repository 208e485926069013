"""Writing the audit log (``audit_record``) and pruning it (``audit_prune``).

``audit_record`` writes in the caller's transaction: a change that rolls back leaves no
row saying it happened. Callers pass the request when there is one (the source address
and user agent come from it) and say which team's managers may read the row.
"""

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.models import User as AuthUser
from django.db import models, transaction
from django.http import HttpRequest
from django.utils import timezone
from simple_history.models import HistoricalRecords

from oncall.audit.addresses import client_address, user_agent_of
from oncall.audit.models import AuditAction, AuditEvent

PRUNE_BATCH = 5000


def _label_of(target: models.Model | None) -> str:
    return str(target)[:200] if target is not None else ""


def audit_record(
    *,
    action: AuditAction | str,
    actor: AuthUser | AnonymousUser | None = None,
    actor_label: str = "",
    request: HttpRequest | None = None,
    team: Any = None,
    target: models.Model | None = None,
    target_type: str = "",
    target_id: Any = "",
    target_label: str = "",
    details: dict[str, Any] | None = None,
    source_address: str | None = None,
) -> AuditEvent:
    """One row: ``actor`` (None: the system, or nobody known — a failed sign-in names the
    login it tried in ``actor_label``) did ``action`` to ``target`` (a row, or a type, id
    and label), in ``team`` (its managers may read the row; None: staff only)."""
    if request is None:
        # Services called from a page or the API do not take the request; the history
        # middleware keeps it for the request's thread, so the address is still known.
        request = getattr(HistoricalRecords.context, "request", None)
    if actor is not None and not actor.is_authenticated:
        actor = None
    if target is not None:
        target_type = target_type or target._meta.label_lower
        target_id = target_id or target.pk
        target_label = target_label or _label_of(target)
    event = AuditEvent(
        action=str(action),
        actor=actor,
        actor_label=(actor_label or (actor.get_username() if actor is not None else ""))[:150],
        team_id=getattr(team, "pk", team),
        target_type=target_type[:60],
        target_id=str(target_id or "")[:64],
        target_label=target_label[:200],
        source_address=source_address or client_address(request),
        user_agent=user_agent_of(request),
        details=details or {},
    )
    event.save()
    return event


# The log is kept at least a year, whatever the setting says.
MINIMUM_RETENTION_DAYS = 366


def audit_retention_days() -> int:
    return max(int(getattr(settings, "AUDIT_RETENTION_DAYS", 400)), MINIMUM_RETENTION_DAYS)


def audit_prune(*, now=None) -> int:
    """Delete the rows older than ``AUDIT_RETENTION_DAYS`` (at least a year is kept), in
    batches so no transaction grows with the backlog. Safe to run twice or at once: a
    row another run deleted first is simply not counted twice."""
    cutoff = (now or timezone.now()) - timedelta(days=audit_retention_days())
    deleted = 0
    while True:
        with transaction.atomic():
            ids = list(
                AuditEvent.objects.filter(at__lt=cutoff)
                .order_by("at")
                .values_list("pk", flat=True)[:PRUNE_BATCH]
            )
            if not ids:
                return deleted
            # A queryset delete: the model itself refuses to delete a row one by one.
            count, _ = AuditEvent.objects.filter(pk__in=ids).delete()
            deleted += count
