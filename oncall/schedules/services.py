"""Writes for schedules, overrides, escalation policies and contact methods.

The API and the admin validate through the same functions here (``layers_clean``,
``rules_clean``), so both reject the same mistakes with the same messages.
"""

from datetime import date, datetime, time
from typing import Any
from zoneinfo import available_timezones

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from common.errors import Conflict, InvalidInput
from common.history import attribute_history, save_changed
from oncall.schedules import rotation
from oncall.schedules.models import (
    Schedule,
    ScheduleLayer,
    ScheduleLayerMember,
    ScheduleOverride,
    new_feed_token,
)
from oncall.schedules.selectors import parse_hhmm, restrictions_problems
from oncall.teams.models import Team, TeamMembership
from oncall.teams.services import team_require_manager, team_require_member

User = get_user_model()


def time_zone_problems(name: str) -> list[str]:
    if name not in _zones():
        return [f"Unknown time zone {name!r}; use an IANA name such as Europe/London."]
    return []


_ZONES: set[str] = set()


def _zones() -> set[str]:
    if not _ZONES:
        _ZONES.update(available_timezones())
        _ZONES.add("UTC")
    return _ZONES


# --- schedules --------------------------------------------------------------------------


def _usernames(user_ids: list[Any]) -> str:
    """The users' names for a message (ids that name no user stay ids)."""
    names = dict(User.objects.filter(pk__in=user_ids).values_list("pk", "username"))
    return ", ".join(str(names.get(uid, uid)) for uid in user_ids)


def layers_clean(*, team: Team, layers: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Validate layer specs; raises InvalidInput with errors keyed ``layers[i].field``."""
    errors: dict[str, list[str]] = {}
    member_ids = set(
        TeamMembership.objects.filter(team=team, user__is_active=True).values_list(
            "user_id", flat=True
        )
    )
    cleaned = []
    for index, spec in enumerate(layers):
        key = f"layers[{index}]"
        users = list(spec.get("users") or [])
        user_ids = [u.pk if hasattr(u, "pk") else u for u in users]
        if not user_ids:
            errors.setdefault(f"{key}.users", []).append("A layer needs at least one user.")
        outsiders = [uid for uid in user_ids if uid not in member_ids]
        if outsiders:
            errors.setdefault(f"{key}.users", []).append(
                f"Not active members of team {team.name}: {_usernames(outsiders)}."
            )
        rotation_name = spec.get("rotation") or rotation.ROTATION_WEEKLY
        hours = spec.get("shift_length_hours")
        try:
            handoff = parse_hhmm(spec.get("handoff_time") or time(9))
        except ValueError as exc:
            errors.setdefault(f"{key}.handoff_time", []).append(str(exc))
            handoff = time(9)
        start = spec.get("start")
        if isinstance(start, str):
            try:
                start = date.fromisoformat(start)
            except ValueError:
                errors.setdefault(f"{key}.start", []).append("Expected a date YYYY-MM-DD.")
        if not isinstance(start, date) or isinstance(start, datetime):
            errors.setdefault(f"{key}.start", []).append("Expected a date YYYY-MM-DD.")
            start = date(2000, 1, 1)
        restrictions = spec.get("restrictions") or []
        for problem in restrictions_problems(restrictions):
            errors.setdefault(f"{key}.restrictions", []).append(problem)
        if rotation_name not in rotation.ROTATIONS:
            errors.setdefault(f"{key}.rotation", []).append(
                f"Choose one of {', '.join(rotation.ROTATIONS)}."
            )
        elif rotation_name == rotation.ROTATION_CUSTOM and (
            not isinstance(hours, int) or isinstance(hours, bool) or hours < 1
        ):
            errors.setdefault(f"{key}.shift_length_hours", []).append(
                "A custom rotation needs a shift length of at least 1 hour."
            )
        cleaned.append(
            {
                "name": (spec.get("name") or "").strip(),
                "users": user_ids,
                "rotation": rotation_name,
                "shift_length_hours": hours if rotation_name == rotation.ROTATION_CUSTOM else None,
                "handoff_time": handoff,
                "start": start,
                "restrictions": restrictions,
            }
        )
    if errors:
        raise InvalidInput("The schedule's layers are not valid.", errors=errors)
    return cleaned


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


# Which column of EscalationTarget holds the id of each kind of target.


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
    cleaned = layers_clean(team=team, layers=layers or [])
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
        _write_layers(actor, locked, layers_clean(team=locked.team, layers=layers))
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
