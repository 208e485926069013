"""Every write to postmortems and action items goes through this module.

Each public function runs in ``transaction.atomic``, locks the row it changes with
``select_for_update``, saves with ``update_fields`` (so django-simple-history records
who changed what) and checks that the actor belongs to the incident's team (``actor``
None is the system: a signal receiver or a beat task).
"""

import datetime
import logging
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone

from config.errors import Conflict, InvalidInput
from config.history import attribute_history, fields_apply, save_changed
from incidents.models import Incident, TimelineEvent
from oncall.models import Team, TeamMembership
from oncall.selectors import team_managers
from oncall.services import team_require_member
from postmortems import selectors
from postmortems.models import (
    OPEN_ACTION_ITEM_STATUSES,
    ActionItem,
    ActionItemKind,
    ActionItemPriority,
    ActionItemStatus,
    Amendment,
    ContributingFactor,
    FiveWhy,
    NotificationKind,
    NotificationRecord,
    Postmortem,
    PostmortemStatus,
    TimelineEntry,
)

logger = logging.getLogger(__name__)

PS = PostmortemStatus
AS = ActionItemStatus

UNPUBLISHED = [PS.DRAFT, PS.IN_REVIEW]

POSTMORTEM_TRANSITIONS: dict[str, tuple[str, ...]] = {
    PS.DRAFT: (PS.IN_REVIEW,),
    PS.IN_REVIEW: (PS.DRAFT, PS.PUBLISHED),
    PS.PUBLISHED: (),
}

ACTION_ITEM_TRANSITIONS: dict[str, tuple[str, ...]] = {
    AS.OPEN: (AS.IN_PROGRESS, AS.DONE, AS.WONT_DO),
    AS.IN_PROGRESS: (AS.OPEN, AS.DONE, AS.WONT_DO),
    # Reopening a closed item is allowed: the work turned out not to be finished.
    AS.DONE: (AS.OPEN, AS.IN_PROGRESS),
    AS.WONT_DO: (AS.OPEN,),
}

TEXT_FIELDS = (
    "summary",
    "impact",
    "root_cause",
    "what_went_well",
    "what_went_wrong",
    "lessons_technical",
    "lessons_process",
    "lessons_communication",
    "supporting_data",
)
NUMBER_FIELDS = ("users_affected", "failed_operations", "estimated_revenue_loss", "support_tickets")
EDITABLE_FIELDS = (
    *TEXT_FIELDS,
    *NUMBER_FIELDS,
    "owner",
    "reviewers",
    "whys",
    "contributing_factors",
    "timeline_entries",
)
ACTION_ITEM_EDITABLE_FIELDS = (
    "title",
    "description",
    "owner",
    "priority",
    "due_date",
    "kind",
    "tracker_url",
)


def _sla() -> datetime.timedelta:
    return datetime.timedelta(hours=settings.POSTMORTEM_SLA_HOURS)


def _escalation_delay() -> datetime.timedelta:
    return datetime.timedelta(hours=settings.POSTMORTEM_ESCALATION_HOURS)


def _users_not_in_team(team: Team, users: Iterable[AbstractBaseUser]) -> list[AbstractBaseUser]:
    users = [u for u in users if u is not None]
    member_ids = set(
        TeamMembership.objects.filter(team=team, user__in=users).values_list("user_id", flat=True)
    )
    return [u for u in users if u.pk not in member_ids]


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, str | int | bool | float | list | dict):
        return value
    if isinstance(value, Decimal):
        return str(value)
    if hasattr(value, "get_username"):
        return value.get_username()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


# --- creating the draft -------------------------------------------------------------


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
    *, incident: Incident | int, actor: AbstractBaseUser | None
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
    if owner is None and actor is not None and actor.is_authenticated:
        owner = actor
    postmortem = Postmortem(
        incident=locked,
        status=PS.DRAFT,
        required=locked.severity.postmortem_required,
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
        if not incident.severity.postmortem_required:
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
    if incident.severity.postmortem_required and not postmortem.required:
        postmortem.required = True
        changed.append("required")
    if changed:
        postmortem._change_reason = "Incident resolved again"  # type: ignore[attr-defined]
        postmortem.save(update_fields=[*changed, "updated_at"])
    _prefill_timeline(postmortem, incident)
    return postmortem


# --- editing ------------------------------------------------------------------------


def _lock_postmortem(postmortem: Postmortem | int) -> Postmortem:
    pk = postmortem.pk if isinstance(postmortem, Postmortem) else postmortem
    return (
        Postmortem.objects.select_for_update(of=("self",))
        .select_related("incident__team", "incident__severity")
        .get(pk=pk)
    )


def _rows_snapshot(rows: Iterable[Any], fields: tuple[str, ...]) -> list[dict[str, Any]]:
    return [{"id": r.pk, **{f: _plain(getattr(r, f)) for f in fields}} for r in rows]


def _sync_rows(
    *,
    postmortem: Postmortem,
    related_name: str,
    model: type,
    rows: list[dict[str, Any]],
    fields: tuple[str, ...],
    ordered: bool,
    field_name: str,
) -> bool:
    """Make the postmortem's related rows equal ``rows``: rows with an ``id`` update that
    row, rows without one are added, existing rows not listed are deleted. Returns
    whether anything changed."""
    existing = {r.pk: r for r in getattr(postmortem, related_name).all()}
    errors: list[str] = []
    for index, row in enumerate(rows):
        row_id = row.get("id")
        if row_id is not None and row_id not in existing:
            errors.append(f"Item {index}: no row with id {row_id} in this postmortem.")
    if errors:
        raise InvalidInput("Unknown rows.", errors={field_name: errors})
    before = _rows_snapshot(existing.values(), fields)
    keep = {row["id"] for row in rows if row.get("id") is not None}
    for pk, obj in existing.items():
        if pk not in keep:
            obj.delete()
    for index, row in enumerate(rows):
        obj = existing.get(row.get("id")) if row.get("id") is not None else None
        values = {f: row[f] for f in fields if f in row}
        if ordered:
            values["position"] = index
        if obj is None:
            model(postmortem=postmortem, **values).save()
            continue
        changed = fields_apply(obj, values)
        if changed:
            obj.save(update_fields=changed)
    after = _rows_snapshot(getattr(postmortem, related_name).all(), fields)
    return before != after


ROW_SPECS: dict[str, tuple[str, type, tuple[str, ...], bool]] = {
    "whys": ("whys", FiveWhy, ("question", "answer"), True),
    "contributing_factors": (
        "contributing_factors",
        ContributingFactor,
        ("category", "description"),
        True,
    ),
    "timeline_entries": ("timeline_entries", TimelineEntry, ("occurred_at", "description"), False),
}


@transaction.atomic
def postmortem_update(
    *,
    postmortem: Postmortem | int,
    actor: AbstractBaseUser | None,
    amendment_reason: str = "",
    **fields: Any,
) -> Postmortem:
    """Edit a postmortem's sections, owner, reviewers, whys, contributing factors and
    timeline. A published postmortem is read-only except through a recorded amendment:
    pass ``amendment_reason`` and the change is saved with an Amendment row (who, when,
    why, what changed) and the reason as the history's change reason."""
    unknown = sorted(set(fields) - set(EDITABLE_FIELDS))
    if unknown:
        raise InvalidInput(
            "These fields cannot be changed here.",
            errors={name: ["Not editable."] for name in unknown},
        )
    locked = _lock_postmortem(postmortem)
    team = locked.incident.team
    team_require_member(actor=actor, team=team)
    amendment_reason = (amendment_reason or "").strip()
    if locked.is_published and not amendment_reason:
        raise Conflict(
            "The postmortem is published and read-only; amend it with a reason (amendment_reason).",
            errors={"amendment_reason": ["Required to change a published postmortem."]},
        )
    if not locked.is_published and amendment_reason:
        raise InvalidInput(
            "Only a published postmortem is amended; edit the draft directly.",
            errors={"amendment_reason": ["Only for published postmortems."]},
        )

    people = {"owner": fields.get("owner")} if fields.get("owner") is not None else {}
    foreign = _users_not_in_team(team, [*people.values(), *(fields.get("reviewers") or [])])
    if foreign:
        names = ", ".join(u.get_username() for u in foreign)
        field = "owner" if fields.get("owner") in foreign else "reviewers"
        raise InvalidInput(
            f"{names} is not a member of team {team.name}.",
            errors={field: [f"{u.get_username()} is not a member of the team." for u in foreign]},
        )

    changes: dict[str, list[Any]] = {}
    update_fields: list[str] = []
    for name in (*TEXT_FIELDS, *NUMBER_FIELDS, "owner"):
        if name not in fields:
            continue
        new = fields[name]
        if name in TEXT_FIELDS:
            new = (new or "").strip()
        old = getattr(locked, name)
        if old != new:
            changes[name] = [_plain(old), _plain(new)]
            setattr(locked, name, new)
            update_fields.append(name)
    if "reviewers" in fields:
        old_names = sorted(u.get_username() for u in locked.reviewers.all())
        new_reviewers = list(fields["reviewers"])
        new_names = sorted(u.get_username() for u in new_reviewers)
        if old_names != new_names:
            locked.reviewers.set(new_reviewers)
            changes["reviewers"] = [old_names, new_names]
    for name, (related_name, model, row_fields, ordered) in ROW_SPECS.items():
        if name in fields:
            before = _rows_snapshot(getattr(locked, related_name).all(), row_fields)
            if _sync_rows(
                postmortem=locked,
                related_name=related_name,
                model=model,
                rows=list(fields[name]),
                fields=row_fields,
                ordered=ordered,
                field_name=name,
            ):
                after = _rows_snapshot(getattr(locked, related_name).all(), row_fields)
                changes[name] = [before, after]

    if not changes:
        return locked
    if amendment_reason:
        locked._change_reason = f"Amendment: {amendment_reason}"  # type: ignore[attr-defined]
        Amendment.objects.create(
            postmortem=locked,
            author=actor if actor is not None and actor.is_authenticated else None,
            reason=amendment_reason,
            changes=changes,
            created_at=timezone.now(),
        )
    # Saved even when only related rows changed, so the postmortem's history shows the
    # edit (and an amendment's reason) at that moment.
    attribute_history(locked, actor).save(update_fields=[*update_fields, "updated_at"])
    return locked


# --- review and publish -------------------------------------------------------------


def _transition(locked: Postmortem, to_status: str) -> None:
    allowed = POSTMORTEM_TRANSITIONS[locked.status]
    if to_status not in allowed:
        detail = f"Cannot move the postmortem from {locked.status} to {to_status}."
        if allowed:
            detail += f" Allowed next statuses: {', '.join(allowed)}."
        raise Conflict(detail, extra={"status": locked.status, "allowed": list(allowed)})


@transaction.atomic
def postmortem_submit(
    *, postmortem: Postmortem | int, actor: AbstractBaseUser | None
) -> Postmortem:
    """Draft → in review."""
    locked = _lock_postmortem(postmortem)
    team_require_member(actor=actor, team=locked.incident.team)
    _transition(locked, PS.IN_REVIEW)
    locked.status = PS.IN_REVIEW
    locked.submitted_at = timezone.now()
    attribute_history(locked, actor).save(update_fields=["status", "submitted_at", "updated_at"])
    return locked


@transaction.atomic
def postmortem_request_changes(
    *, postmortem: Postmortem | int, actor: AbstractBaseUser | None, reason: str = ""
) -> Postmortem:
    """In review → draft (a reviewer sends it back)."""
    locked = _lock_postmortem(postmortem)
    team_require_member(actor=actor, team=locked.incident.team)
    _transition(locked, PS.DRAFT)
    locked.status = PS.DRAFT
    if reason.strip():
        locked._change_reason = f"Changes requested: {reason.strip()}"  # type: ignore[attr-defined]
    attribute_history(locked, actor).save(update_fields=["status", "updated_at"])
    return locked


def postmortem_publish_problems(*, postmortem: Postmortem) -> dict[str, list[str]]:
    """What stops a postmortem from being published, by field (empty when none)."""
    errors: dict[str, list[str]] = {}
    if not postmortem.summary.strip():
        errors["summary"] = ["A summary is required to publish."]
    if not postmortem.root_cause.strip():
        errors["root_cause"] = ["A root cause is required to publish."]
    whys = list(postmortem.whys.all())
    if not any(w.question.strip() and w.answer.strip() for w in whys):
        errors["whys"] = ["At least one answered why is required to publish."]
    incomplete = [
        f"{item.title!r} needs "
        + ", ".join(
            name
            for name, missing in (
                ("an owner", item.owner_id is None),
                ("a priority", not item.priority),
                ("a due date", item.due_date is None),
            )
            if missing
        )
        + "."
        for item in postmortem.action_items.all()
        if item.owner_id is None or not item.priority or item.due_date is None
    ]
    if incomplete:
        errors["action_items"] = incomplete
    return errors


@transaction.atomic
def postmortem_publish(
    *,
    postmortem: Postmortem | int,
    actor: AbstractBaseUser | None,
    confirm_blameless_warnings: bool = False,
) -> Postmortem:
    """In review → published. Needs summary, root cause, an answered why and complete
    action items; if the blameless check warns, the publisher must confirm, and the
    confirmed warnings are stored on the postmortem and named in its history."""
    locked = _lock_postmortem(postmortem)
    team_require_member(actor=actor, team=locked.incident.team)
    _transition(locked, PS.PUBLISHED)
    problems = postmortem_publish_problems(postmortem=locked)
    if problems:
        raise InvalidInput("The postmortem is not ready to publish.", errors=problems)
    warnings = selectors.postmortem_blameless_warnings(postmortem=locked)
    if warnings and not confirm_blameless_warnings:
        raise Conflict(
            f"The blameless check found {len(warnings)} warning(s); reword them or publish "
            "with confirm_blameless_warnings: true.",
            errors={"confirm_blameless_warnings": ["Required when there are warnings."]},
            extra={"warnings": [w.as_dict() for w in warnings]},
        )
    now = timezone.now()
    locked.status = PS.PUBLISHED
    locked.published_at = now
    locked.approved_by = actor if actor is not None and actor.is_authenticated else None
    locked.follow_up_review_date = timezone.localdate(now) + datetime.timedelta(
        days=settings.POSTMORTEM_FOLLOW_UP_REVIEW_DAYS
    )
    locked.confirmed_blameless_warnings = [w.as_dict() for w in warnings]
    if warnings:
        who = actor.get_username() if actor is not None else "the system"
        locked._change_reason = (  # type: ignore[attr-defined]
            f"Published with {len(warnings)} blameless warning(s) confirmed by {who}"
        )
    attribute_history(locked, actor).save(
        update_fields=[
            "status",
            "published_at",
            "approved_by",
            "follow_up_review_date",
            "confirmed_blameless_warnings",
            "updated_at",
        ]
    )
    return locked


# --- action items -------------------------------------------------------------------


def _validate_action_item_fields(team: Team, fields: dict[str, Any]) -> None:
    errors: dict[str, list[str]] = {}
    if "title" in fields and not (fields["title"] or "").strip():
        errors["title"] = ["This field is required."]
    if "owner" in fields:
        if fields["owner"] is None:
            errors["owner"] = ["This field is required."]
        elif _users_not_in_team(team, [fields["owner"]]):
            errors["owner"] = [f"{fields['owner'].get_username()} is not a member of the team."]
    if "priority" in fields and fields["priority"] not in ActionItemPriority.values:
        errors["priority"] = [f"Choose one of {', '.join(ActionItemPriority.values)}."]
    if "kind" in fields and fields["kind"] not in ActionItemKind.values:
        errors["kind"] = [f"Choose one of {', '.join(ActionItemKind.values)}."]
    if "due_date" in fields and not isinstance(fields["due_date"], datetime.date):
        errors["due_date"] = ["This field is required."]
    if errors:
        raise InvalidInput("Invalid action item.", errors=errors)


@transaction.atomic
def action_item_create(
    *,
    actor: AbstractBaseUser | None,
    title: str,
    owner: AbstractBaseUser,
    priority: str,
    due_date: datetime.date,
    postmortem: Postmortem | None = None,
    incident: Incident | None = None,
    description: str = "",
    kind: str = ActionItemKind.CORRECTIVE,
    tracker_url: str = "",
) -> ActionItem:
    if postmortem is None and incident is None:
        raise InvalidInput(
            "An action item belongs to a postmortem or an incident.",
            errors={"postmortem": ["Give a postmortem or an incident."]},
        )
    if postmortem is not None:
        if incident is not None and incident.pk != postmortem.incident_id:
            raise InvalidInput(
                "The postmortem belongs to another incident.",
                errors={"incident": ["Does not match the postmortem's incident."]},
            )
        incident = postmortem.incident
    assert incident is not None
    team = incident.team
    team_require_member(actor=actor, team=team)
    _validate_action_item_fields(
        team, {"title": title, "owner": owner, "priority": priority, "kind": kind}
    )
    now = timezone.now()
    item = ActionItem(
        incident=incident,
        postmortem=postmortem,
        title=title.strip(),
        description=description,
        owner=owner,
        priority=priority,
        due_date=due_date,
        kind=kind,
        tracker_url=tracker_url,
        created_by=actor if actor is not None and actor.is_authenticated else None,
        created_at=now,
    )
    attribute_history(item, actor).save()
    return item


def _lock_item(item: ActionItem | int) -> ActionItem:
    pk = item.pk if isinstance(item, ActionItem) else item
    return (
        ActionItem.objects.select_for_update(of=("self",))
        .select_related("incident__team")
        .get(pk=pk)
    )


@transaction.atomic
def action_item_update(
    *, item: ActionItem | int, actor: AbstractBaseUser | None, **fields: Any
) -> ActionItem:
    unknown = sorted(set(fields) - set(ACTION_ITEM_EDITABLE_FIELDS))
    if unknown:
        raise InvalidInput(
            "These fields cannot be changed here.",
            errors={
                name: [
                    "Not editable; use the status action." if name == "status" else "Not editable."
                ]
                for name in unknown
            },
        )
    locked = _lock_item(item)
    team = locked.incident.team
    team_require_member(actor=actor, team=team)
    _validate_action_item_fields(team, fields)
    if "title" in fields:
        fields["title"] = fields["title"].strip()
    save_changed(locked, actor, fields, also=("updated_at",))
    return locked


@transaction.atomic
def action_item_set_status(
    *, item: ActionItem | int, actor: AbstractBaseUser | None, status: str, reason: str = ""
) -> ActionItem:
    """open → in_progress → done, or wont_do with a reason; a closed item can be
    reopened. ``completed_at`` is set when done and cleared when reopened."""
    if status not in AS.values:
        raise InvalidInput(
            f"Unknown status {status!r}.",
            errors={"status": [f"Choose one of {', '.join(AS.values)}."]},
        )
    locked = _lock_item(item)
    team_require_member(actor=actor, team=locked.incident.team)
    allowed = ACTION_ITEM_TRANSITIONS[locked.status]
    if status not in allowed:
        detail = (
            f"The action item is already {status}."
            if status == locked.status
            else f"Cannot move the action item from {locked.status} to {status}."
        )
        raise Conflict(
            detail + f" Allowed next statuses: {', '.join(allowed)}.",
            extra={"status": locked.status, "allowed": list(allowed)},
        )
    reason = (reason or "").strip()
    if status == AS.WONT_DO and not reason:
        raise InvalidInput(
            "Say why the action item will not be done.",
            errors={"reason": ["Required for wont_do."]},
        )
    locked.status = status
    locked.completed_at = timezone.now() if status == AS.DONE else None
    locked.wont_do_reason = reason if status == AS.WONT_DO else ""
    if reason:
        locked._change_reason = reason  # type: ignore[attr-defined]
    attribute_history(locked, actor).save(
        update_fields=["status", "completed_at", "wont_do_reason", "updated_at"]
    )
    return locked


# --- notifications ------------------------------------------------------------------


def _notify(
    *,
    key: str,
    kind: str,
    user: AbstractBaseUser,
    subject: str,
    body: str,
    postmortem: Postmortem | None = None,
    action_item: ActionItem | None = None,
) -> NotificationRecord | None:
    """Record a notification to send; the unique key makes a second record impossible,
    so whoever records it first is the only sender. Users without an e-mail address get
    nothing (logged)."""
    email = getattr(user, "email", "")
    if not email:
        logger.warning("No e-mail address for %s; skipping %s", user.get_username(), key)
        return None
    record, created = NotificationRecord.objects.get_or_create(
        key=key,
        defaults={
            "kind": kind,
            "recipient": user,
            "to_email": email,
            "subject": subject[:255],
            "body": body,
            "postmortem": postmortem,
            "action_item": action_item,
            "created_at": timezone.now(),
        },
    )
    return record if created else None


def notification_deliver_pending(*, limit: int = 5_000) -> int:
    """Send recorded notifications not yet sent. Each is sent under its row lock
    (skip_locked: a concurrent deliverer skips it), then marked sent; a failure is
    counted and retried by the next run up to the configured attempts. Returns how many
    were sent."""
    max_attempts = settings.POSTMORTEM_NOTIFICATION_MAX_ATTEMPTS
    pending = list(
        NotificationRecord.objects.filter(sent_at=None, attempts__lt=max_attempts)
        .order_by("id")
        .values_list("id", flat=True)[:limit]
    )
    sent = 0
    for pk in pending:
        with transaction.atomic():
            record = (
                NotificationRecord.objects.select_for_update(skip_locked=True)
                .filter(pk=pk, sent_at=None)
                .first()
            )
            if record is None:
                continue
            record.attempts += 1
            try:
                EmailMessage(record.subject, record.body, to=[record.to_email]).send()
            except Exception as exc:  # any transport failure: retried by the next run
                record.last_error = f"{type(exc).__name__}: {exc}"[:2000]
                record.save(update_fields=["attempts", "last_error"])
                logger.warning("Could not send %s to %s: %s", record.key, record.to_email, exc)
                continue
            record.sent_at = timezone.now()
            record.last_error = ""
            record.save(update_fields=["attempts", "sent_at", "last_error"])
            sent += 1
    return sent


def _link(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def _age(delta: datetime.timedelta) -> str:
    hours = int(delta.total_seconds() // 3600)
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if days else f"{hours} h"


def _postmortem_recipients(
    postmortem: Postmortem, *, owner: bool, managers: dict[int, list[AbstractBaseUser]]
) -> list[AbstractBaseUser]:
    """The owner (if asked) and the team's managers, each once. ``managers`` caches the
    managers per team for the length of one run."""
    people: dict[int, AbstractBaseUser] = {}
    if owner and postmortem.owner is not None and postmortem.owner.is_active:
        people[postmortem.owner.pk] = postmortem.owner
    team = postmortem.incident.team
    if team.pk not in managers:
        managers[team.pk] = list(team_managers(team=team))
    for manager in managers[team.pk]:
        people.setdefault(manager.pk, manager)
    return list(people.values())


def postmortem_enforce_sla(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """The postmortem SLA, run by beat every 15 minutes and safe to run twice or at once
    on two workers: rows are taken with ``FOR UPDATE SKIP LOCKED`` and only rows not yet
    marked are selected, so each postmortem is marked breached once and escalated once;
    the e-mails are recorded under unique keys before they are sent.

    - not published by ``due_at``: ``sla_breached_at`` is set, the owner and the team's
      managers are e-mailed;
    - still unpublished ``POSTMORTEM_ESCALATION_HOURS`` after ``due_at``: ``escalated_at``
      is set and the managers are e-mailed again with the breach age.
    """
    now = now or timezone.now()
    breached = escalated = 0
    managers: dict[int, list[AbstractBaseUser]] = {}
    with transaction.atomic():
        due = (
            Postmortem.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("incident__team", "owner")
            .filter(status__in=UNPUBLISHED, due_at__lt=now, sla_breached_at=None)
            .order_by("due_at", "id")
        )
        for postmortem in due:
            postmortem.sla_breached_at = now
            postmortem._change_reason = "Postmortem SLA breached"  # type: ignore[attr-defined]
            postmortem.save(update_fields=["sla_breached_at", "updated_at"])
            breached += 1
            incident = postmortem.incident
            for user in _postmortem_recipients(postmortem, owner=True, managers=managers):
                _notify(
                    key=f"postmortem-sla-breached:{postmortem.pk}:{user.pk}",
                    kind=NotificationKind.POSTMORTEM_SLA_BREACHED,
                    user=user,
                    postmortem=postmortem,
                    subject=f"[Tocsin] Postmortem overdue: {incident.reference} {incident.title}",
                    body=(
                        f"The postmortem of {incident.reference} ({incident.title}) was due "
                        f"{postmortem.due_at:%Y-%m-%d %H:%M %Z} and is not published "
                        f"(status: {postmortem.get_status_display()}).\n"
                        f"Owner: {postmortem.owner.get_username() if postmortem.owner else 'none'}\n\n"
                        f"{_link(f'/api/v1/postmortems/{postmortem.pk}/')}\n"
                    ),
                )
        overdue_since = now - _escalation_delay()
        to_escalate = (
            Postmortem.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("incident__team", "owner")
            .filter(
                status__in=UNPUBLISHED,
                due_at__lt=overdue_since,
                escalated_at=None,
            )
            .exclude(sla_breached_at=None)
            .order_by("due_at", "id")
        )
        for postmortem in to_escalate:
            postmortem.escalated_at = now
            postmortem._change_reason = "Postmortem SLA escalated"  # type: ignore[attr-defined]
            postmortem.save(update_fields=["escalated_at", "updated_at"])
            escalated += 1
            incident = postmortem.incident
            assert postmortem.due_at is not None
            age = _age(now - postmortem.due_at)
            for user in _postmortem_recipients(postmortem, owner=False, managers=managers):
                _notify(
                    key=f"postmortem-escalated:{postmortem.pk}:{user.pk}",
                    kind=NotificationKind.POSTMORTEM_ESCALATED,
                    user=user,
                    postmortem=postmortem,
                    subject=(
                        f"[Tocsin] Escalation: postmortem of {incident.reference} {age} past due"
                    ),
                    body=(
                        f"The postmortem of {incident.reference} ({incident.title}) is still "
                        f"unpublished {age} after it was due "
                        f"({postmortem.due_at:%Y-%m-%d %H:%M %Z}).\n"
                        f"Owner: {postmortem.owner.get_username() if postmortem.owner else 'none'}\n"
                        f"Status: {postmortem.get_status_display()}\n\n"
                        f"{_link(f'/api/v1/postmortems/{postmortem.pk}/')}\n"
                    ),
                )
    sent = notification_deliver_pending()
    return {"breached": breached, "escalated": escalated, "sent": sent}


def action_item_remind_overdue(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """Overdue action items, run by beat hourly and safe to run twice or concurrently.

    An item past its due date (``due_date`` before today, in TIME_ZONE) and not closed is
    marked overdue the first time it is seen, and its owner is e-mailed once per day it
    stays overdue (the key holds the date). Each team's managers get one digest a day
    listing all the team's overdue items. Done or won't-do items are never selected."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    marked = reminded = digests = 0
    with transaction.atomic():
        items = list(
            ActionItem.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("incident__team", "owner")
            .filter(status__in=OPEN_ACTION_ITEM_STATUSES, due_date__lt=today)
            .order_by("due_date", "id")
        )
        teams: dict[int, Team] = {}
        # Keys already recorded today, in one query: an hourly rerun then costs one select
        # instead of one per item (the unique key still decides under a race).
        already = set(
            NotificationRecord.objects.filter(
                kind=NotificationKind.ACTION_ITEM_OVERDUE,
                key__endswith=f":{today.isoformat()}",
            ).values_list("key", flat=True)
        )
        for item in items:
            teams[item.incident.team_id] = item.incident.team
            if item.marked_overdue_at is None:
                item.marked_overdue_at = now
                item._change_reason = "Marked overdue"  # type: ignore[attr-defined]
                item.save(update_fields=["marked_overdue_at", "updated_at"])
                marked += 1
            if item.owner is None or not item.owner.is_active:
                continue
            if f"action-item-overdue:{item.pk}:{today.isoformat()}" in already:
                continue
            days = (today - item.due_date).days
            if _notify(
                key=f"action-item-overdue:{item.pk}:{today.isoformat()}",
                kind=NotificationKind.ACTION_ITEM_OVERDUE,
                user=item.owner,
                action_item=item,
                subject=f"[Tocsin] Action item overdue ({days} d): {item.title}",
                body=(
                    f"Your action item {item.title!r} ({item.priority}) from "
                    f"{item.incident.reference} was due {item.due_date:%Y-%m-%d} and is "
                    f"{item.get_status_display().lower()}, {days} day(s) overdue.\n"
                    "Close it (done, or won't do with a reason) or move its due date.\n\n"
                    f"{_link(f'/api/v1/action-items/{item.pk}/')}\n"
                ),
            ):
                reminded += 1
        for team in teams.values():
            # The whole team's list, locked or not: the digest is keyed per day, so
            # whichever run records it first sends the complete list.
            team_items = list(selectors.action_item_overdue_for_team(team=team, today=today))
            if not team_items:
                continue
            lines = [
                f"- {i.title} ({i.priority}, {i.incident.reference}): owner "
                f"{i.owner.get_username() if i.owner else 'none'}, due {i.due_date:%Y-%m-%d}, "
                f"{(today - i.due_date).days} d overdue"
                for i in team_items
            ]
            for manager in team_managers(team=team):
                if _notify(
                    key=f"overdue-digest:{team.pk}:{manager.pk}:{today.isoformat()}",
                    kind=NotificationKind.OVERDUE_DIGEST,
                    user=manager,
                    subject=f"[Tocsin] {team.name}: {len(team_items)} overdue action item(s)",
                    body=(
                        f"Overdue action items of {team.name} on {today:%Y-%m-%d}:\n\n"
                        + "\n".join(lines)
                        + f"\n\n{_link(f'/api/v1/action-items/board/?team={team.pk}')}\n"
                    ),
                ):
                    digests += 1
    sent = notification_deliver_pending()
    return {"marked": marked, "reminded": reminded, "digests": digests, "sent": sent}
