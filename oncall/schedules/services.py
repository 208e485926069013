"""Writes for schedules (with their layers and the people in each layer's rotation),
overrides and the schedule's iCal feed token.

The API and the admin validate through the same functions here (``layers_clean``,
``time_zone_problems``), so both reject the same mistakes with the same messages.
"""

from collections.abc import Callable
from datetime import date, datetime, time
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from common.errors import Conflict, InvalidInput
from common.history import attribute_history, save_changed
from common.tokens import new_feed_token
from common.zones import time_zone_problems
from oncall.schedules import rotation
from oncall.schedules.models import (
    Schedule,
    ScheduleLayer,
    ScheduleLayerMember,
    ScheduleOverride,
)
from oncall.schedules.selectors import parse_hhmm, restrictions_problems
from oncall.teams.models import Team, TeamMembership
from oncall.teams.selectors import VIEWER_UNKNOWN, usernames_listed
from oncall.teams.services import team_require_manager, team_require_member

# Adds one message to the errors of one field of the layer being checked.
Report = Callable[[str, str], None]


# --- layers -----------------------------------------------------------------------------


def layers_clean(
    *, team: Team, layers: list[dict[str, Any]], viewer: Any = VIEWER_UNKNOWN
) -> list[dict[str, Any]]:
    """Validate layer specs; raises InvalidInput with errors keyed ``layers[i].field``.
    ``viewer`` is who reads the errors: people they share no team with are named by id."""
    errors: dict[str, list[str]] = {}
    member_ids = set(
        TeamMembership.objects.filter(team=team, user__is_active=True).values_list(
            "user_id", flat=True
        )
    )
    cleaned = [
        _layer_clean(
            spec,
            team=team,
            member_ids=member_ids,
            report=_reporter(errors, f"layers[{index}]"),
            viewer=viewer,
        )
        for index, spec in enumerate(layers)
    ]
    if errors:
        raise InvalidInput("The schedule's layers are not valid.", errors=errors)
    return cleaned


def _reporter(errors: dict[str, list[str]], key: str) -> Report:
    """Adds a message to ``errors`` under ``<key>.<field>``."""

    def report(field: str, message: str) -> None:
        errors.setdefault(f"{key}.{field}", []).append(message)

    return report


def _layer_clean(
    spec: dict[str, Any], *, team: Team, member_ids: set[int], report: Report, viewer: Any
) -> dict[str, Any]:
    """One layer spec checked field by field (problems go to ``report``), with defaults
    filled in: the layer as it is written."""
    user_ids = _layer_user_ids(spec, team=team, member_ids=member_ids, report=report, viewer=viewer)
    rotation_name = spec.get("rotation") or rotation.ROTATION_WEEKLY
    hours = spec.get("shift_length_hours")
    handoff = _layer_handoff_time(spec.get("handoff_time"), report)
    start = _layer_start(spec.get("start"), report)
    restrictions = spec.get("restrictions") or []
    for problem in restrictions_problems(restrictions):
        report("restrictions", problem)
    _layer_rotation_check(rotation_name, hours, report)
    return {
        "name": (spec.get("name") or "").strip(),
        "users": user_ids,
        "rotation": rotation_name,
        "shift_length_hours": hours if rotation_name == rotation.ROTATION_CUSTOM else None,
        "handoff_time": handoff,
        "start": start,
        "restrictions": restrictions,
    }


def _layer_user_ids(
    spec: dict[str, Any], *, team: Team, member_ids: set[int], report: Report, viewer: Any
) -> list[Any]:
    """The ids of the layer's users (users or ids), who must be active team members."""
    user_ids = [u.pk if hasattr(u, "pk") else u for u in spec.get("users") or []]
    if not user_ids:
        report("users", "A layer needs at least one user.")
    outsiders = [uid for uid in user_ids if uid not in member_ids]
    if outsiders:
        report(
            "users",
            f"Not active members of team {team.name}: {usernames_listed(outsiders, viewer=viewer)}.",
        )
    return user_ids


def _layer_handoff_time(raw: Any, report: Report) -> time:
    """The handoff time ("HH:MM" or a time; 09:00 when missing or unreadable)."""
    try:
        return parse_hhmm(raw or time(9))
    except ValueError as exc:
        report("handoff_time", str(exc))
        return time(9)


def _layer_start(raw: Any, report: Report) -> date:
    """The date of the first handoff (a date or "YYYY-MM-DD"; a placeholder when it is
    not one, the problem reported)."""
    start = raw
    if isinstance(start, str):
        try:
            start = date.fromisoformat(start)
        except ValueError:
            report("start", "Expected a date YYYY-MM-DD.")
    if not isinstance(start, date) or isinstance(start, datetime):
        report("start", "Expected a date YYYY-MM-DD.")
        start = date(2000, 1, 1)
    return start


def _layer_rotation_check(rotation_name: Any, hours: Any, report: Report) -> None:
    """A known rotation; a custom one needs a shift length of a whole number of hours."""
    if rotation_name not in rotation.ROTATIONS:
        report("rotation", f"Choose one of {', '.join(rotation.ROTATIONS)}.")
    elif rotation_name == rotation.ROTATION_CUSTOM and (
        not isinstance(hours, int) or isinstance(hours, bool) or hours < 1
    ):
        report("shift_length_hours", "A custom rotation needs a shift length of at least 1 hour.")


def schedule_layer_members_set(*, actor: Any, layer: ScheduleLayer, user_ids: list[int]) -> None:
    """Make the layer's rotation exactly ``user_ids``, in that order (the API and the admin
    both end here). Nothing is written when the order is unchanged."""
    current = list(layer.members.order_by("position", "pk"))
    if [m.user_id for m in current] == list(user_ids):
        return
    for member in current:
        attribute_history(member, actor).delete()
    for position, user_id in enumerate(user_ids):
        member = ScheduleLayerMember(layer=layer, user_id=user_id, position=position)
        attribute_history(member, actor).save()


# --- schedules --------------------------------------------------------------------------


def _write_layers(actor: Any, schedule: Schedule, layers: list[dict[str, Any]]) -> None:
    for old in schedule.layers.all():
        for member in old.members.all():
            attribute_history(member, actor).delete()
        attribute_history(old, actor).delete()
    for position, spec in enumerate(layers):
        layer = ScheduleLayer(
            schedule=schedule,
            position=position,
            name=spec["name"],
            rotation=spec["rotation"],
            shift_length_hours=spec["shift_length_hours"],
            handoff_time=spec["handoff_time"],
            start=spec["start"],
            restrictions=spec["restrictions"],
        )
        attribute_history(layer, actor).save()
        schedule_layer_members_set(actor=actor, layer=layer, user_ids=list(spec["users"]))


@transaction.atomic
def schedule_create(
    *,
    actor: AbstractBaseUser,
    team: Team,
    name: str,
    time_zone: str = "UTC",
    description: str = "",
    layers: list[dict[str, Any]] | None = None,
) -> Schedule:
    team_require_manager(actor=actor, team=team, to="change its schedules")
    name = name.strip()
    errors = {}
    if not name:
        errors["name"] = ["This field is required."]
    if time_zone_problems(time_zone):
        errors["time_zone"] = time_zone_problems(time_zone)
    if errors:
        raise InvalidInput("The schedule is not valid.", errors=errors)
    cleaned = layers_clean(team=team, layers=layers or [], viewer=actor)
    if Schedule.objects.filter(team=team, name=name).exists():
        raise Conflict(f"Team {team.name} already has a schedule named {name!r}.")
    schedule = Schedule(team=team, name=name, time_zone=time_zone, description=description)
    attribute_history(schedule, actor).save()
    _write_layers(actor, schedule, cleaned)
    return schedule


@transaction.atomic
def schedule_update(
    *,
    actor: AbstractBaseUser,
    schedule: Schedule,
    layers: list[dict[str, Any]] | None = None,
    **fields: Any,
) -> Schedule:
    locked = Schedule.objects.select_for_update().get(pk=schedule.pk)
    team_require_manager(actor=actor, team=locked.team, to="change its schedules")
    if "time_zone" in fields and time_zone_problems(fields["time_zone"]):
        raise InvalidInput(
            "The schedule is not valid.",
            errors={"time_zone": time_zone_problems(fields["time_zone"])},
        )
    if "name" in fields:
        fields["name"] = fields["name"].strip()
        if not fields["name"]:
            raise InvalidInput("The schedule is not valid.", errors={"name": ["Required."]})
        clash = Schedule.objects.filter(team=locked.team, name=fields["name"]).exclude(pk=locked.pk)
        if clash.exists():
            raise Conflict(f"Team {locked.team.name} already has a schedule with that name.")
    save_changed(locked, actor, fields)
    if layers is not None:
        _write_layers(actor, locked, layers_clean(team=locked.team, layers=layers, viewer=actor))
    return locked


@transaction.atomic
def schedule_delete(*, actor: AbstractBaseUser, schedule: Schedule) -> None:
    team_require_manager(actor=actor, team=schedule.team, to="change its schedules")
    attribute_history(schedule, actor).delete()


@transaction.atomic
def schedule_rotate_ical_token(*, actor: AbstractBaseUser, schedule: Schedule) -> Schedule:
    """Revoke the schedule's iCal URL: every calendar subscribed to the old one stops."""
    team_require_manager(actor=actor, team=schedule.team, to="change its schedules")
    locked = Schedule.objects.select_for_update().get(pk=schedule.pk)
    locked.ical_token = new_feed_token()
    attribute_history(locked, actor).save(update_fields=["ical_token"])
    return locked


@transaction.atomic
def override_create(
    *,
    actor: AbstractBaseUser,
    schedule: Schedule,
    user: AbstractBaseUser,
    start: datetime,
    end: datetime,
) -> ScheduleOverride:
    """Any member of the team may cover (or arrange cover) for a while."""
    team_require_member(actor=actor, team=schedule.team)
    errors: dict[str, list[str]] = {}
    if not TeamMembership.objects.filter(
        team=schedule.team, user=user, user__is_active=True
    ).exists():
        errors["user"] = [f"{user.get_username()} is not an active member of {schedule.team.name}."]
    if end <= start:
        errors["end"] = ["The end must be after the start."]
    if errors:
        raise InvalidInput("The override is not valid.", errors=errors)
    override = ScheduleOverride(schedule=schedule, user=user, start=start, end=end)
    attribute_history(override, actor).save()
    return override


@transaction.atomic
def override_delete(*, actor: AbstractBaseUser, override: ScheduleOverride) -> None:
    team_require_member(actor=actor, team=override.schedule.team)
    attribute_history(override, actor).delete()
