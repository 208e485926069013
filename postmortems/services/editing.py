"""Editing a postmortem: its sections (``postmortems.sections``), impact figures, owner,
reviewers, and the whole lists of its timeline, whys and contributing factors.

Rules: the editor must be a member of the incident's team, and so must the owner and the
reviewers they name. A draft or a postmortem in review is edited directly; a published
one only through a recorded amendment (a reason, an ``Amendment`` row with the old and
new values, the reason as the history's change reason). The row is locked for the edit
and saved with ``update_fields``, so django-simple-history records who changed what.
"""

from collections.abc import Iterable
from decimal import Decimal
from typing import Any, NamedTuple

from django.contrib.auth.models import AbstractBaseUser
from django.db import models, transaction
from django.utils import timezone

from common.errors import Conflict, InvalidInput
from common.history import attribute_history, fields_apply
from common.limits import POSTMORTEM_SECTION_LENGTH, text_require_bounded
from oncall.teams.models import Team
from oncall.teams.services import team_require_member
from postmortems import sections
from postmortems.models import (
    Amendment,
    ContributingFactor,
    FactorCategory,
    FiveWhy,
    Postmortem,
    TimelineEntry,
)
from postmortems.services.common import postmortem_lock, stored_actor, users_outside_team


class RowSpec(NamedTuple):
    """How a rows section is stored: its model, the fields a row sets, and whether the
    list's order is kept in a ``position`` column."""

    model: type[models.Model]
    fields: tuple[str, ...]
    ordered: bool


# Keyed by the section's name, which is also the related name on Postmortem.
ROW_SPECS: dict[str, RowSpec] = {
    "whys": RowSpec(FiveWhy, ("question", "answer"), ordered=True),
    "contributing_factors": RowSpec(ContributingFactor, ("category", "description"), ordered=True),
    "timeline_entries": RowSpec(TimelineEntry, ("occurred_at", "description"), ordered=False),
}
EDITABLE_FIELDS: tuple[str, ...] = (
    *sections.TEXT_FIELDS,
    *sections.FIGURE_FIELDS,
    "owner",
    "reviewers",
    *ROW_SPECS,
)

Snapshot = list[dict[str, Any]]


def _plain(value: Any) -> Any:
    """A value as it is recorded in an amendment's JSON ``changes``."""
    if value is None or isinstance(value, str | int | bool | float | list | dict):
        return value
    if isinstance(value, Decimal):
        return str(value)
    if hasattr(value, "get_username"):
        return value.get_username()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def _rows_snapshot(rows: Iterable[Any], fields: tuple[str, ...]) -> Snapshot:
    return [{"id": r.pk, **{f: _plain(getattr(r, f)) for f in fields}} for r in rows]


def _check_row_ids(existing: dict[int, Any], rows: list[dict[str, Any]], name: str) -> None:
    errors = [
        f"Item {index}: no row with id {row['id']} in this postmortem."
        for index, row in enumerate(rows)
        if row.get("id") is not None and row["id"] not in existing
    ]
    if errors:
        raise InvalidInput("Unknown rows.", errors={name: errors})


def _sync_rows(
    *, postmortem: Postmortem, name: str, rows: list[dict[str, Any]]
) -> tuple[Snapshot, Snapshot] | None:
    """Make the postmortem's rows of section ``name`` equal ``rows``: rows with an ``id``
    update that row, rows without one are added, existing rows not listed are deleted.
    Returns the rows before and after, or None when nothing changed."""
    spec = ROW_SPECS[name]
    existing = {r.pk: r for r in getattr(postmortem, name).all()}
    _check_row_ids(existing, rows, name)
    before = _rows_snapshot(existing.values(), spec.fields)
    keep = {row["id"] for row in rows if row.get("id") is not None}
    for pk, obj in existing.items():
        if pk not in keep:
            obj.delete()
    for index, row in enumerate(rows):
        obj = existing.get(row["id"]) if row.get("id") is not None else None
        values = {f: row[f] for f in spec.fields if f in row}
        if spec.ordered:
            values["position"] = index
        if obj is None:
            spec.model(postmortem=postmortem, **values).save()
            continue
        changed = fields_apply(obj, values)
        if changed:
            obj.save(update_fields=changed)
    after = _rows_snapshot(getattr(postmortem, name).all(), spec.fields)
    return None if before == after else (before, after)


def _reject_unknown_fields(fields: dict[str, Any]) -> None:
    unknown = sorted(set(fields) - set(EDITABLE_FIELDS))
    if unknown:
        raise InvalidInput(
            "These fields cannot be changed here.",
            errors={name: ["Not editable."] for name in unknown},
        )


def _checked_amendment_reason(locked: Postmortem, amendment_reason: str) -> str:
    """The reason, stripped; required for a published postmortem, refused otherwise."""
    reason = (amendment_reason or "").strip()
    if locked.is_published and not reason:
        raise Conflict(
            "The postmortem is published and read-only; amend it with a reason (amendment_reason).",
            errors={"amendment_reason": ["Required to change a published postmortem."]},
        )
    if not locked.is_published and reason:
        raise InvalidInput(
            "Only a published postmortem is amended; edit the draft directly.",
            errors={"amendment_reason": ["Only for published postmortems."]},
        )
    return reason


def _check_people_in_team(team: Team, fields: dict[str, Any]) -> None:
    owner = fields.get("owner")
    foreign = users_outside_team(team=team, users=[owner, *(fields.get("reviewers") or [])])
    if foreign:
        names = ", ".join(u.get_username() for u in foreign)
        field = "owner" if owner in foreign else "reviewers"
        raise InvalidInput(
            f"{names} is not a member of team {team.name}.",
            errors={field: [f"{u.get_username()} is not a member of the team." for u in foreign]},
        )


def _apply_values(
    locked: Postmortem, fields: dict[str, Any], changes: dict[str, list[Any]]
) -> list[str]:
    """Set the sections, figures and owner that differ; returns the fields to save."""
    update_fields: list[str] = []
    for name in (*sections.TEXT_FIELDS, *sections.FIGURE_FIELDS, "owner"):
        if name not in fields:
            continue
        new = fields[name]
        if name in sections.TEXT_FIELDS:
            new = (new or "").strip()
        old = getattr(locked, name)
        if old != new:
            changes[name] = [_plain(old), _plain(new)]
            setattr(locked, name, new)
            update_fields.append(name)
    return update_fields


def _apply_reviewers(
    locked: Postmortem, reviewers: Iterable[AbstractBaseUser], changes: dict[str, list[Any]]
) -> None:
    old_names = sorted(u.get_username() for u in locked.reviewers.all())
    new_reviewers = list(reviewers)
    new_names = sorted(u.get_username() for u in new_reviewers)
    if old_names != new_names:
        locked.reviewers.set(new_reviewers)
        changes["reviewers"] = [old_names, new_names]


def _apply_rows(locked: Postmortem, fields: dict[str, Any], changes: dict[str, list[Any]]) -> None:
    for name in ROW_SPECS:
        if name not in fields:
            continue
        synced = _sync_rows(postmortem=locked, name=name, rows=list(fields[name]))
        if synced is not None:
            changes[name] = list(synced)


def _record_amendment(
    locked: Postmortem,
    actor: AbstractBaseUser | None,
    reason: str,
    changes: dict[str, list[Any]],
) -> None:
    locked._change_reason = f"Amendment: {reason}"  # type: ignore[attr-defined]
    Amendment.objects.create(
        postmortem=locked,
        author=stored_actor(actor),
        reason=reason,
        changes=changes,
        created_at=timezone.now(),
    )


@transaction.atomic
def postmortem_update(
    *,
    postmortem: Postmortem | int,
    actor: AbstractBaseUser | None,
    amendment_reason: str = "",
    **fields: Any,
) -> Postmortem:
    """Edit a postmortem's sections, figures, owner, reviewers, whys, contributing
    factors and timeline (each list given whole). A published postmortem is read-only
    except through a recorded amendment: pass ``amendment_reason`` and the change is
    saved with an Amendment row (who, when, why, what changed) and the reason as the
    history's change reason. Nothing is saved when nothing changed."""
    _reject_unknown_fields(fields)
    text_require_bounded(
        limits=dict.fromkeys(sections.TEXT_FIELDS, POSTMORTEM_SECTION_LENGTH), texts=fields
    )
    locked = postmortem_lock(postmortem=postmortem)
    team = locked.incident.team
    team_require_member(actor=actor, team=team)
    reason = _checked_amendment_reason(locked, amendment_reason)
    _check_people_in_team(team, fields)

    changes: dict[str, list[Any]] = {}
    update_fields = _apply_values(locked, fields, changes)
    if "reviewers" in fields:
        _apply_reviewers(locked, fields["reviewers"], changes)
    _apply_rows(locked, fields, changes)
    if not changes:
        return locked
    if reason:
        _record_amendment(locked, actor, reason, changes)
    # Saved even when only related rows changed, so the postmortem's history shows the
    # edit (and an amendment's reason) at that moment.
    attribute_history(locked, actor).save(update_fields=[*update_fields, "updated_at"])
    return locked


# --- one row at a time (the web editor's inline forms) --------------------------------

ROW_MAX_LENGTH = 5_000
# Which fields of a row must not be blank, and what to say when one is.
_ROW_REQUIRED: dict[str, dict[str, str]] = {
    "whys": {"question": "Write the question (Why…?)."},
    "contributing_factors": {"description": "Describe the factor."},
    "timeline_entries": {"description": "Say what happened.", "occurred_at": "Give a time."},
}


def _row_spec(section: str) -> RowSpec:
    if section not in ROW_SPECS:
        raise InvalidInput(f"Unknown section {section!r}.", errors={"section": ["Unknown."]})
    return ROW_SPECS[section]


def _checked_row_values(section: str, values: dict[str, Any]) -> dict[str, Any]:
    """The row's values, texts stripped; blank required fields, an unknown fishbone
    category or an over-long text are refused with a message per field."""
    spec = _row_spec(section)
    clean: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for name in spec.fields:
        value = values.get(name)
        if isinstance(value, str):
            value = value.strip()
            if len(value) > ROW_MAX_LENGTH:
                errors[name] = [f"Keep it under {ROW_MAX_LENGTH} characters."]
        if name in _ROW_REQUIRED[section] and value in (None, ""):
            errors[name] = [_ROW_REQUIRED[section][name]]
        clean[name] = "" if value is None else value
    if section == "contributing_factors" and clean.get("category") not in FactorCategory.values:
        errors["category"] = ["Choose a category."]
    if errors:
        raise InvalidInput("Check the row.", errors=errors)
    return clean


def _current_rows(locked: Postmortem, section: str) -> list[dict[str, Any]]:
    spec = ROW_SPECS[section]
    return [
        {"id": row.pk, **{f: getattr(row, f) for f in spec.fields}}
        for row in getattr(locked, section).all()
    ]


@transaction.atomic
def postmortem_row_save(
    *,
    postmortem: Postmortem | int,
    actor: AbstractBaseUser | None,
    section: str,
    values: dict[str, Any],
    row_id: int | None = None,
    amendment_reason: str = "",
) -> Postmortem:
    """Add one row to a rows section (``whys``, ``contributing_factors``,
    ``timeline_entries``) at its end, or change the row ``row_id``; the other rows stay as
    they are. The same rules as :func:`postmortem_update` (team, amendments, history)."""
    clean = _checked_row_values(section, values)
    locked = postmortem_lock(postmortem=postmortem)
    team_require_member(actor=actor, team=locked.incident.team)
    rows = _current_rows(locked, section)
    if row_id is None:
        rows.append(clean)
    else:
        row = next((r for r in rows if r["id"] == row_id), None)
        if row is None:
            raise InvalidInput("That row is no longer there.", errors={section: ["Unknown row."]})
        row.update(clean)
    return postmortem_update(
        postmortem=locked, actor=actor, amendment_reason=amendment_reason, **{section: rows}
    )


@transaction.atomic
def postmortem_row_remove(
    *,
    postmortem: Postmortem | int,
    actor: AbstractBaseUser | None,
    section: str,
    row_id: int,
    amendment_reason: str = "",
) -> Postmortem:
    """Remove one row of a rows section; removing a row already gone changes nothing."""
    _row_spec(section)
    locked = postmortem_lock(postmortem=postmortem)
    team_require_member(actor=actor, team=locked.incident.team)
    rows = [r for r in _current_rows(locked, section) if r["id"] != row_id]
    return postmortem_update(
        postmortem=locked, actor=actor, amendment_reason=amendment_reason, **{section: rows}
    )
