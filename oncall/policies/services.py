"""Writes for escalation policies (with their rules and targets) and a team's default
policy.

The API and the admin validate rules through the same function here (``rules_clean``),
so both reject the same mistakes with the same messages.
"""

from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction

from common.errors import Conflict, InvalidInput
from common.history import attribute_history, fields_apply
from oncall.policies.models import EscalationPolicy, EscalationRule, EscalationTarget, TargetType
from oncall.schedules.models import Schedule
from oncall.teams.models import Team, TeamMembership
from oncall.teams.selectors import VIEWER_UNKNOWN, usernames_listed
from oncall.teams.services import team_require_manager

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


# --- escalation policies ----------------------------------------------------------------


def rules_clean(
    *, team: Team, rules: list[dict[str, Any]], viewer: Any = VIEWER_UNKNOWN
) -> list[dict[str, Any]]:
    """Validate rules: at least one, delays >= 1 minute, targets that belong to the team,
    and whether a rule pages only for high-urgency incidents (false unless given).
    ``viewer`` is who reads the errors: people they share no team with are named by id."""
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
                    f"Not an active member of team {team.name}: {usernames_listed([target_id], viewer=viewer)}."
                    if kind == TargetType.USER
                    else f"No {kind} with id {target_id} in team {team.name}."
                )
                continue
            clean_targets.append({"type": kind, "id": target_id})
        high_only = rule.get("high_urgency_only", False)
        if not isinstance(high_only, bool):
            errors.setdefault(f"{key}.high_urgency_only", []).append("Must be true or false.")
        cleaned.append(
            {"delay_minutes": delay, "targets": clean_targets, "high_urgency_only": high_only}
        )
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
        rule = EscalationRule(
            policy=policy,
            position=position,
            delay_minutes=spec["delay_minutes"],
            high_urgency_only=spec.get("high_urgency_only", False),
        )
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
    cleaned = rules_clean(team=team, rules=rules, viewer=actor)
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
        _write_rules(actor, locked, rules_clean(team=locked.team, rules=rules, viewer=actor))
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


@transaction.atomic
def escalation_policy_save(
    *,
    actor: AbstractBaseUser,
    team: Team,
    policy: EscalationPolicy | None,
    name: str,
    rules: list[dict[str, Any]],
    repeat: int = 0,
    description: str = "",
    is_default: bool = False,
) -> EscalationPolicy:
    """The web editor's one write: create ``policy`` (None) or update it, and make it the
    team's default policy or stop it being one, all or nothing."""
    if policy is None:
        saved = escalation_policy_create(
            actor=actor, team=team, name=name, rules=rules, repeat=repeat, description=description
        )
    else:
        saved = escalation_policy_update(
            actor=actor,
            policy=policy,
            rules=rules,
            name=name,
            repeat=repeat,
            description=description,
        )
    current = Team.objects.select_for_update().get(pk=team.pk).escalation_policy_id
    if is_default and current != saved.pk:
        team_set_escalation_policy(actor=actor, team=team, policy=saved)
    elif not is_default and current == saved.pk:
        team_set_escalation_policy(actor=actor, team=team, policy=None)
    return saved
