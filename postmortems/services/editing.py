"""Every write to postmortems and action items goes through this module.

Each public function runs in ``transaction.atomic``, locks the row it changes with
``select_for_update``, saves with ``update_fields`` (so django-simple-history records
who changed what) and checks that the actor belongs to the incident's team (``actor``
None is the system: a signal receiver or a beat task).
"""

from collections.abc import Iterable
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from common.errors import Conflict, InvalidInput
from common.history import attribute_history, fields_apply
from oncall.teams.services import team_require_member
from postmortems.models import (
    Amendment,
    ContributingFactor,
    FiveWhy,
    Postmortem,
    TimelineEntry,
)
from postmortems.services.common import (
    EDITABLE_FIELDS,
    NUMBER_FIELDS,
    TEXT_FIELDS,
    _plain,
    _users_not_in_team,
)

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
