"""The postmortem draft: created when an incident that requires one is resolved (or on
request), kept in step when the incident is resolved again.

Rules: one postmortem per incident; the draft is owned by the incident's commander (else
whoever asked for it); it is due ``POSTMORTEM_SLA_HOURS`` (48) after the incident's
resolution; its timeline is prefilled from the incident's timeline, each event copied
once. Runs inside the transaction that resolves the incident, so a resolved incident
that requires a postmortem never lacks one.
"""

import datetime

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from common.errors import Conflict
from common.history import attribute_history
from incidents.models import Incident, TimelineEvent
from oncall.teams.services import team_require_member
from postmortems.models import Postmortem, PostmortemStatus, TimelineEntry
from postmortems.services.common import stored_actor


def _sla() -> datetime.timedelta:
    return datetime.timedelta(hours=settings.POSTMORTEM_SLA_HOURS)


def _timeline_entry_text(event: TimelineEvent) -> str:
    label = event.get_kind_display()
    return f"{label}: {event.message}" if event.message else label


def _prefill_timeline(postmortem: Postmortem, incident: Incident) -> int:
    """Copy the incident's timeline events not yet copied; returns how many."""
    copied = set(
        postmortem.timeline_entries.exclude(source_event=None).values_list(
            "source_event_id", flat=True
        )
    )
    new = [
        TimelineEntry(
            postmortem=postmortem,
            occurred_at=event.created_at,
            description=_timeline_entry_text(event),
            source_event=event,
        )
        for event in incident.timeline.order_by("created_at", "id")
        if event.pk not in copied
    ]
    # Saved one by one (not bulk_create) so each entry gets its history row.
    for entry in new:
        entry.save()
    return len(new)


def _lock_incident(incident: Incident | int) -> Incident:
    pk = incident.pk if isinstance(incident, Incident) else incident
    return Incident.objects.select_for_update().select_related("team", "severity").get(pk=pk)


@transaction.atomic
def postmortem_create_for_incident(
    *, incident: Incident | int, actor: AbstractBaseUser | None, required: bool | None = None
) -> Postmortem:
    """Start the postmortem of an incident: a draft owned by the incident's commander,
    its timeline prefilled from the incident's timeline. One per incident (Conflict if
    it exists). ``due_at`` is set when the incident is resolved; an incident that is
    still open gets its due date when it resolves."""
    locked = _lock_incident(incident)
    team_require_member(actor=actor, team=locked.team)
    existing = Postmortem.objects.filter(incident=locked).first()
    if existing is not None:
        raise Conflict(
            f"{locked.reference} already has a postmortem.",
            extra={"postmortem": existing.pk},
        )
    now = timezone.now()
    owner = locked.commander
    if owner is None:
        owner = stored_actor(actor)
    postmortem = Postmortem(
        incident=locked,
        status=PostmortemStatus.DRAFT,
        required=locked.severity.postmortem_required if required is None else required,
        owner=owner,
        due_at=locked.resolved_at + _sla() if locked.resolved_at else None,
        summary=locked.summary,
        impact=locked.impact,
        created_at=now,
    )
    attribute_history(postmortem, actor).save()
    _prefill_timeline(postmortem, locked)
    return postmortem


@transaction.atomic
def postmortem_on_incident_resolved(
    *, incident: Incident, actor: AbstractBaseUser | None
) -> Postmortem | None:
    """Called (through the incident_status_changed receiver) inside the transaction that
    resolves an incident, so a required postmortem can never be missing.

    Reopened and resolved again: the incident keeps its one postmortem. If it is not yet
    published and not yet breached, ``due_at`` moves to the new resolution + SLA (the
    work restarts); a breach already recorded stays (it is a fact, and reopening must not
    be a way to reset the clock). New incident timeline events are appended to an
    unpublished postmortem's timeline."""
    postmortem = Postmortem.objects.select_for_update().filter(incident=incident).first()
    if postmortem is None:
        # A drill's postmortem is asked for by the drill (readiness.drills), not by its
        # severity.
        if incident.is_drill or not incident.severity.postmortem_required:
            return None
        # The resolver already passed the incident's membership check; with no commander
        # they own the draft.
        return postmortem_create_for_incident(incident=incident, actor=actor)
    if postmortem.is_published:
        return postmortem
    changed = []
    new_due = incident.resolved_at + _sla() if incident.resolved_at else None
    if postmortem.sla_breached_at is None and new_due != postmortem.due_at:
        postmortem.due_at = new_due
        changed.append("due_at")
    if incident.severity.postmortem_required and not postmortem.required and not incident.is_drill:
        postmortem.required = True
        changed.append("required")
    if changed:
        postmortem._change_reason = "Incident resolved again"  # type: ignore[attr-defined]
        postmortem.save(update_fields=[*changed, "updated_at"])
    _prefill_timeline(postmortem, incident)
    return postmortem
