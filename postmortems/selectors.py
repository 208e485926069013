"""Reads for postmortems and action items, scoped to the user's teams."""

import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from common.errors import NotFound
from oncall.teams.models import Team
from oncall.teams.selectors import team_scoped
from postmortems import blameless, metrics, sections
from postmortems.models import (
    OPEN_ACTION_ITEM_STATUSES,
    ActionItem,
    ActionItemStatus,
    Postmortem,
)

User = AbstractBaseUser | AnonymousUser


def _action_items_qs() -> QuerySet[ActionItem]:
    return ActionItem.objects.select_related("owner", "incident__team")


def postmortem_list(*, user: User) -> QuerySet[Postmortem]:
    """Postmortems of the user's teams with what a list renders, loaded once."""
    return team_scoped(
        Postmortem.objects.select_related(
            "incident__team", "incident__severity", "owner", "approved_by"
        ),
        user=user,
        team_field="incident__team",
    ).order_by("-created_at", "-id")


def postmortem_detail_queryset(*, user: User) -> QuerySet[Postmortem]:
    return postmortem_list(user=user).prefetch_related(
        "reviewers",
        "whys",
        "contributing_factors",
        "timeline_entries",
        Prefetch("action_items", queryset=_action_items_qs().order_by("due_date", "id")),
        Prefetch("amendments", queryset=_amendments_qs()),
    )


def _amendments_qs() -> QuerySet:
    from postmortems.models import Amendment

    return Amendment.objects.select_related("author").order_by("created_at", "id")


def postmortem_get(*, user: User, postmortem_id: Any, detail: bool = True) -> Postmortem:
    """A postmortem of one of the user's teams; another team's is "not found"."""
    qs = postmortem_detail_queryset(user=user) if detail else postmortem_list(user=user)
    try:
        return qs.get(pk=int(postmortem_id))
    except (Postmortem.DoesNotExist, TypeError, ValueError, OverflowError):
        raise NotFound("Postmortem not found.") from None


def team_member_names(*, team: Team) -> list[str]:
    """Usernames and names of the team's members, for the blameless check."""
    names: list[str] = []
    for username, first, last in (
        get_user_model()
        .objects.filter(team_memberships__team=team)
        .values_list("username", "first_name", "last_name")
    ):
        names.extend([username, first, last, f"{first} {last}".strip()])
    return [n for n in names if n]


def _row_texts(postmortem: Postmortem, name: str) -> dict[str, str]:
    if name == "whys":
        texts = {}
        for index, why in enumerate(postmortem.whys.all()):
            texts[f"whys[{index}].question"] = why.question
            texts[f"whys[{index}].answer"] = why.answer
        return texts
    if name == "contributing_factors":
        return {
            f"contributing_factors[{index}].description": factor.description
            for index, factor in enumerate(postmortem.contributing_factors.all())
        }
    raise ValueError(f"No blameless texts for the rows section {name!r}.")


def postmortem_text_fields(*, postmortem: Postmortem) -> dict[str, str]:
    """The texts the blameless check reads, by field (``whys[1].answer``…), in the
    order of the sections."""
    fields: dict[str, str] = {}
    for section in sections.SECTIONS:
        if not section.blameless_checked:
            continue
        if section.kind == sections.SectionKind.TEXT:
            fields[section.name] = getattr(postmortem, section.name)
        else:
            fields.update(_row_texts(postmortem, section.name))
    return fields


def postmortem_blameless_warnings(*, postmortem: Postmortem) -> list[blameless.BlamelessWarning]:
    return blameless.check(
        postmortem_text_fields(postmortem=postmortem),
        names=team_member_names(team=postmortem.incident.team),
    )


def postmortem_history(*, postmortem: Postmortem) -> list[dict[str, Any]]:
    records = postmortem.history.select_related("history_user").order_by(
        "history_date", "history_id"
    )
    return [
        {
            "history_date": r.history_date,
            "history_type": {"+": "created", "~": "changed", "-": "deleted"}[r.history_type],
            "history_user": r.history_user.get_username() if r.history_user else None,
            "history_change_reason": r.history_change_reason or "",
            "status": r.status,
        }
        for r in records
    ]


# --- action items -------------------------------------------------------------------


def action_item_list(*, user: User) -> QuerySet[ActionItem]:
    return team_scoped(_action_items_qs(), user=user, team_field="incident__team").order_by(
        "due_date", "priority", "id"
    )


def action_item_get(*, user: User, item_id: Any) -> ActionItem:
    try:
        return action_item_list(user=user).get(pk=int(item_id))
    except (ActionItem.DoesNotExist, TypeError, ValueError, OverflowError):
        raise NotFound("Action item not found.") from None


def overdue_q(today: datetime.date | None = None) -> Q:
    today = today or timezone.localdate()
    return Q(status__in=OPEN_ACTION_ITEM_STATUSES, due_date__lt=today)


def action_item_overdue_for_team(*, team: Team, today: datetime.date) -> QuerySet[ActionItem]:
    return (
        _action_items_qs()
        .filter(overdue_q(today), incident__team=team)
        .order_by("due_date", "priority", "id")
    )


def action_item_board(*, items: QuerySet[ActionItem]) -> dict[str, Any]:
    """A board: one column per status, overdue items first, then by owner and due date;
    plus open and overdue counts per owner."""
    today = timezone.localdate()
    rows = list(items)
    columns: dict[str, list[ActionItem]] = {s: [] for s in ActionItemStatus.values}
    owners: dict[str, dict[str, Any]] = {}
    for item in rows:
        columns[item.status].append(item)
        if item.status in OPEN_ACTION_ITEM_STATUSES:
            name = item.owner.get_username() if item.owner else ""
            entry = owners.setdefault(
                name,
                {"owner": item.owner, "open": 0, "overdue": 0},
            )
            entry["open"] += 1
            entry["overdue"] += int(item.is_overdue(today))
    for column in columns.values():
        column.sort(
            key=lambda i: (
                not i.is_overdue(today),
                i.owner.get_username() if i.owner else "",
                i.due_date,
                i.pk,
            )
        )
    return {
        "columns": columns,
        "owners": sorted(owners.values(), key=lambda e: (-e["overdue"], -e["open"])),
    }


# --- completion rates ---------------------------------------------------------------


def postmortem_completion(
    *,
    teams: QuerySet[Team] | list[Team] | list[int] | None,
    since: datetime.datetime,
    until: datetime.datetime,
    severity: Any = None,
) -> metrics.Rate:
    """Required postmortems published by their due date ÷ required postmortems, over the
    postmortems of incidents resolved in [since, until). ``teams`` None = every team."""
    # Drills are practice: never part of the real completion rates.
    qs = Postmortem.objects.filter(
        incident__resolved_at__gte=since, incident__resolved_at__lt=until, incident__is_drill=False
    )
    if teams is not None:
        qs = qs.filter(incident__team__in=teams)
    if severity is not None:
        qs = qs.filter(incident__severity=severity)
    rows = qs.values_list("required", "due_at", "published_at")
    return metrics.postmortem_completion_rate(
        metrics.PostmortemFacts(required=r, due_at=d, published_at=p) for r, d, p in rows
    )


def action_item_completion(
    *,
    teams: QuerySet[Team] | list[Team] | list[int] | None,
    since: datetime.datetime,
    until: datetime.datetime,
    severity: Any = None,
) -> metrics.Rate:
    """Action items done by their due date ÷ items due in [since, until) (dates in the
    reporting zone, ``TIME_ZONE``). ``teams`` None = every team."""
    since_date, until_date = timezone.localdate(since), timezone.localdate(until)
    qs = ActionItem.objects.filter(
        due_date__gte=since_date, due_date__lt=until_date, incident__is_drill=False
    )
    if teams is not None:
        qs = qs.filter(incident__team__in=teams)
    if severity is not None:
        qs = qs.filter(incident__severity=severity)
    rows = qs.values_list("due_date", "status", "completed_at")
    return metrics.action_item_completion_rate(
        (
            metrics.ActionItemFacts(
                due_date=d, status=s, completed_on=timezone.localdate(c) if c else None
            )
            for d, s, c in rows
        ),
        since=since_date,
        until=until_date,
    )


def completion_rates(
    *,
    teams: QuerySet[Team] | list[Team] | list[int] | None,
    since: datetime.datetime,
    until: datetime.datetime,
    severity: Any = None,
) -> dict[str, metrics.Rate]:
    """Both completion rates for the period [since, until): postmortems of incidents
    resolved in it, action items due in it. Reuses the pure formulas in
    postmortems.metrics."""
    kwargs = {"teams": teams, "since": since, "until": until, "severity": severity}
    return {
        "postmortems": postmortem_completion(**kwargs),
        "action_items": action_item_completion(**kwargs),
    }


# --- web sections ---------------------------------------------------------------------

SECTION_ROWS = 20


def postmortems_owed(*, user: User, limit: int = SECTION_ROWS) -> list[Postmortem]:
    """The user's unpublished postmortems (owner = user) in their teams, the soonest
    due first (no due date last). One query."""
    from django.db.models import F

    if not user.is_authenticated:
        return []
    qs = (
        team_scoped(Postmortem.objects.filter(owner=user), user=user, team_field="incident__team")
        .exclude(status="published")
        .select_related("incident__team", "incident__severity")
        .order_by(F("due_at").asc(nulls_last=True), "id")
    )
    return list(qs[:limit])


def action_items_mine(*, user: User, limit: int = SECTION_ROWS) -> list[ActionItem]:
    """The user's open and in-progress action items, overdue first (the earliest due
    date first puts every overdue item before the others). One query."""
    if not user.is_authenticated:
        return []
    qs = (
        team_scoped(ActionItem.objects.filter(owner=user), user=user, team_field="incident__team")
        .filter(status__in=OPEN_ACTION_ITEM_STATUSES)
        .select_related("incident__team", "postmortem")
        .order_by("due_date", "priority", "id")
    )
    return list(qs[:limit])


def incident_postmortem(*, incident: Any) -> Postmortem | None:
    """The incident's postmortem with its owner, or None. One query."""
    return Postmortem.objects.filter(incident=incident).select_related("owner").first()
