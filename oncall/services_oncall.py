"""Writes for schedules, overrides, escalation policies and contact methods.

The API and the admin validate through the same functions here (``layers_clean``,
``rules_clean``), so both reject the same mistakes with the same messages.
"""

from datetime import date, datetime, time
from typing import Any
from zoneinfo import available_timezones

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction

from config.errors import Conflict, InvalidInput
from config.history import attribute_history, fields_apply, save_changed
from config.outbound import outbound_url_problems
from oncall import rotation
from oncall.models import (
    ContactKind,
    ContactMethod,
    EscalationPolicy,
    EscalationRule,
    EscalationTarget,
    OnCallPreference,
    Schedule,
    ScheduleLayer,
    ScheduleLayerMember,
    ScheduleOverride,
    TargetType,
    Team,
    TeamMembership,
)
from oncall.models.schedules import new_feed_token
from oncall.schedules import parse_hhmm, restrictions_problems
from oncall.services import team_require_manager, team_require_member

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
TARGET_ID_FIELD = {"user": "user_id", "schedule": "schedule_id", "team": "team_id"}


def escalation_rule_targets_set(
    *, actor: Any, rule: EscalationRule, targets: list[tuple[str, int]]
) -> None:
    """Make the rule's targets exactly ``targets`` (``(type, id)`` pairs), keeping the rows
    that stay so their history does not churn."""
    current = {(t.type, getattr(t, TARGET_ID_FIELD[t.type])): t for t in rule.targets.all()}
    for key, target in current.items():
        if key not in targets:
            attribute_history(target, actor).delete()
    for kind, target_id in targets:
        if (kind, target_id) not in current:
            row = EscalationTarget(rule=rule, type=kind, **{TARGET_ID_FIELD[kind]: target_id})
            attribute_history(row, actor).save()


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


# --- escalation policies ----------------------------------------------------------------


def rules_clean(*, team: Team, rules: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Validate rules: at least one, delays >= 1 minute, targets that belong to the team."""
    errors: dict[str, list[str]] = {}
    if not rules:
        errors["rules"] = ["A policy needs at least one rule."]
    member_ids = set(
        TeamMembership.objects.filter(team=team, user__is_active=True).values_list(
            "user_id", flat=True
        )
    )
    schedule_ids = set(Schedule.objects.filter(team=team).values_list("pk", flat=True))
    cleaned = []
    for index, rule in enumerate(rules):
        key = f"rules[{index}]"
        delay = rule.get("delay_minutes")
        if not isinstance(delay, int) or isinstance(delay, bool) or delay < 1:
            errors.setdefault(f"{key}.delay_minutes", []).append(
                "The delay must be a whole number of minutes, at least 1."
            )
        targets = rule.get("targets") or []
        if not targets:
            errors.setdefault(f"{key}.targets", []).append("A rule needs at least one target.")
        clean_targets = []
        for t_index, target in enumerate(targets):
            t_key = f"{key}.targets[{t_index}]"
            kind, target_id = target.get("type"), target.get("id")
            if kind not in TargetType.values:
                errors.setdefault(t_key, []).append(
                    f"type must be one of {', '.join(TargetType.values)}."
                )
                continue
            if not isinstance(target_id, int) or isinstance(target_id, bool):
                errors.setdefault(t_key, []).append("id must be an integer.")
                continue
            valid = (
                (kind == TargetType.USER and target_id in member_ids)
                or (kind == TargetType.SCHEDULE and target_id in schedule_ids)
                or (kind == TargetType.TEAM and target_id == team.pk)
            )
            if not valid:
                errors.setdefault(t_key, []).append(
                    f"Not an active member of team {team.name}: {_usernames([target_id])}."
                    if kind == TargetType.USER
                    else f"No {kind} with id {target_id} in team {team.name}."
                )
                continue
            clean_targets.append({"type": kind, "id": target_id})
        cleaned.append({"delay_minutes": delay, "targets": clean_targets})
    if errors:
        raise InvalidInput("The escalation policy is not valid.", errors=errors)
    return cleaned


def _repeat_check(repeat: Any) -> None:
    if not isinstance(repeat, int) or isinstance(repeat, bool) or not 0 <= repeat <= 9:
        raise InvalidInput(
            "The escalation policy is not valid.", errors={"repeat": ["Between 0 and 9."]}
        )


def _write_rules(actor: Any, policy: EscalationPolicy, rules: list[dict[str, Any]]) -> None:
    for old in policy.rules.all():
        for target in old.targets.all():
            attribute_history(target, actor).delete()
        attribute_history(old, actor).delete()
    for position, spec in enumerate(rules):
        rule = EscalationRule(policy=policy, position=position, delay_minutes=spec["delay_minutes"])
        attribute_history(rule, actor).save()
        escalation_rule_targets_set(
            actor=actor, rule=rule, targets=[(t["type"], t["id"]) for t in spec["targets"]]
        )


@transaction.atomic
def escalation_policy_create(
    *,
    actor: AbstractBaseUser,
    team: Team,
    name: str,
    rules: list[dict[str, Any]],
    repeat: int = 0,
    description: str = "",
) -> EscalationPolicy:
    team_require_manager(actor=actor, team=team, to="change its escalation policies")
    name = name.strip()
    if not name:
        raise InvalidInput("The escalation policy is not valid.", errors={"name": ["Required."]})
    _repeat_check(repeat)
    cleaned = rules_clean(team=team, rules=rules)
    policy = EscalationPolicy(team=team, name=name, repeat=repeat, description=description)
    try:
        with transaction.atomic():
            attribute_history(policy, actor).save()
    except IntegrityError:
        raise Conflict(f"Team {team.name} already has a policy named {name!r}.") from None
    _write_rules(actor, policy, cleaned)
    return policy


@transaction.atomic
def escalation_policy_update(
    *,
    actor: AbstractBaseUser,
    policy: EscalationPolicy,
    rules: list[dict[str, Any]] | None = None,
    **fields: Any,
) -> EscalationPolicy:
    """Escalations already running keep the snapshot they started with."""
    locked = EscalationPolicy.objects.select_for_update().get(pk=policy.pk)
    team_require_manager(actor=actor, team=locked.team, to="change its escalation policies")
    if "repeat" in fields:
        _repeat_check(fields["repeat"])
    if "name" in fields and not fields["name"].strip():
        raise InvalidInput("The escalation policy is not valid.", errors={"name": ["Required."]})
    changed = fields_apply(locked, fields)
    if changed:
        try:
            with transaction.atomic():
                attribute_history(locked, actor).save(update_fields=changed)
        except IntegrityError:
            raise Conflict("Another policy of this team has that name.") from None
    if rules is not None:
        _write_rules(actor, locked, rules_clean(team=locked.team, rules=rules))
    return locked


@transaction.atomic
def escalation_policy_delete(*, actor: AbstractBaseUser, policy: EscalationPolicy) -> None:
    team_require_manager(actor=actor, team=policy.team, to="change its escalation policies")
    attribute_history(policy, actor).delete()


@transaction.atomic
def team_set_escalation_policy(
    *, actor: AbstractBaseUser, team: Team, policy: EscalationPolicy | None
) -> Team:
    team_require_manager(actor=actor, team=team, to="choose its escalation policy")
    if policy is not None and policy.team_id != team.pk:
        raise InvalidInput(
            "The policy must belong to the team.",
            errors={"escalation_policy": ["Not a policy of this team."]},
        )
    locked = Team.objects.select_for_update().get(pk=team.pk)
    locked.escalation_policy = policy
    attribute_history(locked, actor).save(update_fields=["escalation_policy"])
    return locked


# --- contact methods and preferences ----------------------------------------------------


def contact_method_problems(kind: str, address: str) -> dict[str, list[str]]:
    """What is wrong with ``address`` for a contact method of ``kind`` (field errors);
    the API's services and the admin's form both ask here."""
    from django.core.exceptions import ValidationError
    from django.core.validators import URLValidator, validate_email

    address = address.strip()
    if not address:
        return {"address": ["This field is required."]}
    try:
        if kind == ContactKind.EMAIL:
            validate_email(address)
        elif kind == ContactKind.WEBHOOK or (
            kind == ContactKind.SLACK and address.startswith(("http://", "https://"))
        ):
            URLValidator(schemes=["http", "https"])(address)
            problems = outbound_url_problems(address)
            if problems:
                return {"address": problems}
    except ValidationError:
        return {"address": [f"Not a valid address for {kind}."]}
    if kind == ContactKind.PAGERDUTY and not address.isalnum():
        return {"address": ["A PagerDuty routing key is letters and digits."]}
    return {}


@transaction.atomic
def contact_method_create(
    *,
    actor: AbstractBaseUser,
    kind: str,
    address: str,
    label: str = "",
    secret: str = "",
    enabled: bool = True,
    min_interval_seconds: int | None = None,
) -> ContactMethod:
    if kind not in ContactKind.values:
        raise InvalidInput("Unknown kind.", errors={"kind": [f"One of {ContactKind.values}."]})
    errors = contact_method_problems(kind, address)
    if errors:
        raise InvalidInput("The contact method is not valid.", errors=errors)
    if min_interval_seconds is None:
        min_interval_seconds = settings.PAGING_DEFAULT_MIN_INTERVAL.get(kind, 0)
    method = ContactMethod(
        user=actor,
        kind=kind,
        address=address.strip(),
        label=label,
        secret=secret,
        enabled=enabled,
        min_interval_seconds=min_interval_seconds,
    )
    attribute_history(method, actor).save()
    return method


@transaction.atomic
def contact_method_update(
    *, actor: AbstractBaseUser, method: ContactMethod, **fields: Any
) -> ContactMethod:
    locked = ContactMethod.objects.select_for_update().get(pk=method.pk, user=actor)
    if "address" in fields:
        errors = contact_method_problems(locked.kind, fields["address"])
        if errors:
            raise InvalidInput("The contact method is not valid.", errors=errors)
    save_changed(locked, actor, fields)
    return locked


@transaction.atomic
def contact_method_delete(*, actor: AbstractBaseUser, method: ContactMethod) -> None:
    attribute_history(method, actor).delete()


@transaction.atomic
def oncall_preference_set(
    *,
    actor: AbstractBaseUser,
    notify_hours_before_shift: int | None,
    notify_at_shift_end: bool,
) -> OnCallPreference:
    if notify_hours_before_shift is not None and not 0 <= notify_hours_before_shift <= 48:
        raise InvalidInput(
            "Invalid preference.", errors={"notify_hours_before_shift": ["Between 0 and 48."]}
        )
    preference, _ = OnCallPreference.objects.select_for_update().get_or_create(user=actor)
    preference.notify_hours_before_shift = notify_hours_before_shift
    preference.notify_at_shift_end = notify_at_shift_end
    attribute_history(preference, actor).save()
    return preference


@transaction.atomic
def oncall_preference_get(*, actor: AbstractBaseUser) -> OnCallPreference:
    """The user's preferences, created with the defaults (and a feed token) the first
    time they are asked for."""
    preference, _ = OnCallPreference.objects.get_or_create(user=actor)
    return preference


@transaction.atomic
def oncall_preference_rotate_ical_token(*, actor: AbstractBaseUser) -> OnCallPreference:
    """Revoke the user's "my shifts" iCal URL and issue a new one."""
    preference, _ = OnCallPreference.objects.select_for_update().get_or_create(user=actor)
    preference.ical_token = new_feed_token()
    attribute_history(preference, actor).save(update_fields=["ical_token"])
    return preference
