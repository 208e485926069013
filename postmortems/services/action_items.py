"""Action items: the follow-up work of a postmortem, or directly of an incident.

Rules: an item always names its incident (copied from its postmortem), so it is scoped
by the incident's team; whoever creates or changes one must be a member of that team, and
so must its owner. Title, owner, priority (P0–P3), due date and kind are required. Status
goes open → in progress → done, or won't do with a reason; a closed item can be
reopened, and ``completed_at`` follows (set when done, cleared when reopened). The row is
locked for each change and saved with ``update_fields``, so its history records who
changed what. Overdue reminders are in ``postmortems.services.sla``.
"""

import datetime
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from common.errors import Conflict, InvalidInput
from common.history import attribute_history, save_changed
from incidents.models import Incident
from oncall.teams.models import Team
from oncall.teams.services import team_require_member
from postmortems.models import (
    ActionItem,
    ActionItemKind,
    ActionItemPriority,
    ActionItemStatus,
    Postmortem,
)
from postmortems.services.common import stored_actor, users_outside_team

ACTION_ITEM_TRANSITIONS: dict[str, tuple[str, ...]] = {
    ActionItemStatus.OPEN: (
        ActionItemStatus.IN_PROGRESS,
        ActionItemStatus.DONE,
        ActionItemStatus.WONT_DO,
    ),
    ActionItemStatus.IN_PROGRESS: (
        ActionItemStatus.OPEN,
        ActionItemStatus.DONE,
        ActionItemStatus.WONT_DO,
    ),
    # Reopening a closed item is allowed: the work turned out not to be finished.
    ActionItemStatus.DONE: (ActionItemStatus.OPEN, ActionItemStatus.IN_PROGRESS),
    ActionItemStatus.WONT_DO: (ActionItemStatus.OPEN,),
}
ACTION_ITEM_EDITABLE_FIELDS = (
    "title",
    "description",
    "owner",
    "priority",
    "due_date",
    "kind",
    "tracker_url",
)


def _validate_action_item_fields(team: Team, fields: dict[str, Any]) -> None:
    errors: dict[str, list[str]] = {}
    if "title" in fields and not (fields["title"] or "").strip():
        errors["title"] = ["This field is required."]
    if "owner" in fields:
        if fields["owner"] is None:
            errors["owner"] = ["This field is required."]
        elif users_outside_team(team=team, users=[fields["owner"]]):
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
        created_by=stored_actor(actor),
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
    if status not in ActionItemStatus.values:
        raise InvalidInput(
            f"Unknown status {status!r}.",
            errors={"status": [f"Choose one of {', '.join(ActionItemStatus.values)}."]},
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
    if status == ActionItemStatus.WONT_DO and not reason:
        raise InvalidInput(
            "Say why the action item will not be done.",
            errors={"reason": ["Required for wont_do."]},
        )
    locked.status = status
    locked.completed_at = timezone.now() if status == ActionItemStatus.DONE else None
    locked.wont_do_reason = reason if status == ActionItemStatus.WONT_DO else ""
    if reason:
        locked._change_reason = reason  # type: ignore[attr-defined]
    attribute_history(locked, actor).save(
        update_fields=["status", "completed_at", "wont_do_reason", "updated_at"]
    )
    return locked


@transaction.atomic
def action_item_remove(*, item: ActionItem | int, actor: AbstractBaseUser | None) -> None:
    """Delete an item added by mistake. Only an open item of a postmortem that is not
    published: work that started, or a published postmortem's follow-up, is closed as
    "won't do" with a reason instead, so the record and the completion rate stay true.
    The deletion is kept in the item's history with the actor."""
    locked = _lock_item(item)
    team_require_member(actor=actor, team=locked.incident.team)
    if locked.status != ActionItemStatus.OPEN:
        raise Conflict(
            "Only an open action item can be removed; close it as won't do instead.",
            extra={"status": locked.status},
        )
    postmortem = locked.postmortem
    if postmortem is not None and postmortem.is_published:
        raise Conflict(
            "The postmortem is published; close the action item as won't do instead.",
            extra={"status": locked.status},
        )
    attribute_history(locked, actor).delete()
