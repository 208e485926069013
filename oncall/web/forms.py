"""The editors' forms: a schedule (layers, each with its people in order and its
time windows) and an escalation policy (rules in order, each with its targets), read
from and written back to plain form fields, and the "Cover this shift" form.

A schedule or policy being edited is a *draft*: what the form holds, including rows not
yet valid. The buttons that add, remove or move a row post the whole draft back and get
it re-rendered changed (``*_apply``), nothing saved; only "Save" calls the services.
The drafts become the same specs the API sends (``schedule_specs``, ``policy_specs``),
so the services validate both the same way; their errors come back keyed by the
names used here (``layer-0-users``) to be shown next to the fields.
"""

import datetime
import re
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.http import QueryDict

from oncall.policies.models import TargetType
from oncall.schedules.models import Rotation, Schedule

WEEKDAYS = [
    (1, "Mon", "Monday"),
    (2, "Tue", "Tuesday"),
    (3, "Wed", "Wednesday"),
    (4, "Thu", "Thursday"),
    (5, "Fri", "Friday"),
    (6, "Sat", "Saturday"),
    (7, "Sun", "Sunday"),
]
MAX_ROWS = 20  # layers, people in a layer, windows, rules: more is a tampered form


def _int_or_none(raw: Any) -> int | None:
    try:
        return int(str(raw).strip())
    except (TypeError, ValueError):
        return None


def _count(post: QueryDict, name: str) -> int:
    return max(0, min(_int_or_none(post.get(name)) or 0, MAX_ROWS))


def _move(items: list, index: int, step: int) -> None:
    other = index + step
    if 0 <= index < len(items) and 0 <= other < len(items):
        items[index], items[other] = items[other], items[index]


def _action(raw: str) -> tuple[str, list[int]]:
    """ "member-up:0:2" -> ("member-up", [0, 2]); unreadable numbers make it a no-op."""
    verb, *numbers = (raw or "").split(":")
    indexes = [_int_or_none(n) for n in numbers]
    if any(i is None for i in indexes):
        return "", []
    return verb, [i for i in indexes if i is not None]


# --- schedules --------------------------------------------------------------------------


@dataclass
class WindowDraft:
    days: list[int] = field(default_factory=list)
    start: str = ""
    end: str = ""

    def is_empty(self) -> bool:
        return not self.days and not self.start and not self.end


@dataclass
class LayerDraft:
    name: str = ""
    rotation: str = Rotation.WEEKLY
    shift_length_hours: str = ""
    handoff_time: str = "09:00"
    start: str = ""
    members: list[int] = field(default_factory=list)
    windows: list[WindowDraft] = field(default_factory=list)


@dataclass
class ScheduleDraft:
    name: str = ""
    time_zone: str = "UTC"
    description: str = ""
    layers: list[LayerDraft] = field(default_factory=list)


def schedule_draft_new(*, time_zone: str, today: datetime.date) -> ScheduleDraft:
    return ScheduleDraft(time_zone=time_zone, layers=[LayerDraft(start=today.isoformat())])


def schedule_draft_from_schedule(schedule: Schedule) -> ScheduleDraft:
    layers = []
    for layer in schedule.layers.all():
        windows = [
            WindowDraft(
                days=[d for d in item.get("weekdays", []) if isinstance(d, int)],
                start=str(item.get("start", "")),
                end=str(item.get("end", "")),
            )
            for item in (layer.restrictions or [])
            if isinstance(item, dict)
        ]
        layers.append(
            LayerDraft(
                name=layer.name,
                rotation=layer.rotation,
                shift_length_hours=str(layer.shift_length_hours or ""),
                handoff_time=layer.handoff_time.isoformat(timespec="minutes"),
                start=layer.start.isoformat(),
                members=[m.user_id for m in layer.members.all()],
                windows=windows,
            )
        )
    return ScheduleDraft(
        name=schedule.name,
        time_zone=schedule.time_zone,
        description=schedule.description,
        layers=layers,
    )


def schedule_draft_from_post(post: QueryDict) -> ScheduleDraft:
    layers = []
    for i in range(_count(post, "layers")):
        prefix = f"layer-{i}"
        windows = []
        for j in range(_count(post, f"{prefix}-windows")):
            days = sorted(
                {d for d in map(_int_or_none, post.getlist(f"{prefix}-window-{j}-days")) if d}
            )
            windows.append(
                WindowDraft(
                    days=[d for d in days if 1 <= d <= 7],
                    start=post.get(f"{prefix}-window-{j}-start", "").strip(),
                    end=post.get(f"{prefix}-window-{j}-end", "").strip(),
                )
            )
        members = [m for m in map(_int_or_none, post.getlist(f"{prefix}-member")) if m]
        layers.append(
            LayerDraft(
                name=post.get(f"{prefix}-name", "").strip(),
                rotation=post.get(f"{prefix}-rotation", Rotation.WEEKLY),
                shift_length_hours=post.get(f"{prefix}-shift_length_hours", "").strip(),
                handoff_time=post.get(f"{prefix}-handoff_time", "").strip(),
                start=post.get(f"{prefix}-start", "").strip(),
                members=members[:MAX_ROWS],
                windows=windows,
            )
        )
    return ScheduleDraft(
        name=post.get("name", "").strip(),
        time_zone=post.get("time_zone", "").strip(),
        description=post.get("description", "").strip(),
        layers=layers,
    )


def schedule_draft_apply(
    draft: ScheduleDraft,
    raw_action: str,
    post: QueryDict,
    *,
    member_ids: set[int],
    today: datetime.date,
) -> tuple[str, dict[str, list[str]]]:
    """Apply an add/remove/move button to ``draft`` in place. Returns the id of the
    element to focus afterwards and any problem (a person picked who is not in the team)."""
    verb, at = _action(raw_action)
    layers = draft.layers
    errors: dict[str, list[str]] = {}
    if verb == "add-layer" and len(layers) < MAX_ROWS:
        layers.append(LayerDraft(start=today.isoformat()))
        return f"layer-{len(layers) - 1}-name", errors
    if not at or not 0 <= at[0] < len(layers):
        return "", errors
    i = at[0]
    layer = layers[i]
    if verb == "remove-layer":
        layers.pop(i)
        return "add-layer", errors
    if verb in ("layer-up", "layer-down"):
        _move(layers, i, -1 if verb == "layer-up" else 1)
        moved = max(0, min(len(layers) - 1, i + (-1 if verb == "layer-up" else 1)))
        return f"layer-{moved}-heading", errors
    if verb == "add-member":
        picked = _int_or_none(post.get(f"layer-{i}-add_member"))
        if picked is None:
            errors[f"layer-{i}-add_member"] = ["Choose a person to add."]
        elif picked not in member_ids:
            errors[f"layer-{i}-add_member"] = ["Choose someone from the team."]
        elif len(layer.members) < MAX_ROWS:
            layer.members.append(picked)
        return f"layer-{i}-add_member", errors
    if verb == "add-window" and len(layer.windows) < MAX_ROWS:
        layer.windows.append(WindowDraft())
        return f"layer-{i}-window-{len(layer.windows) - 1}-start", errors
    if len(at) < 2:
        return "", errors
    k = at[1]
    if verb == "remove-member" and 0 <= k < len(layer.members):
        layer.members.pop(k)
        return f"layer-{i}-add_member", errors
    if verb in ("member-up", "member-down"):
        _move(layer.members, k, -1 if verb == "member-up" else 1)
        return f"layer-{i}-members", errors
    if verb == "remove-window" and 0 <= k < len(layer.windows):
        layer.windows.pop(k)
        return f"layer-{i}-add-window", errors
    return "", errors


def _window_problem(window: WindowDraft) -> str | None:
    if not window.days:
        return "Tick at least one day."
    if not window.start or not window.end:
        return "Give the time the window starts and the time it ends."
    return None


def schedule_specs(draft: ScheduleDraft) -> tuple[list[dict[str, Any]], dict[str, list[str]]]:
    """The draft's layers as the specs ``layers_clean`` takes (the API's shape), and
    the problems found before that (half-filled time windows; blank rows are dropped)."""
    errors: dict[str, list[str]] = {}
    specs = []
    for i, layer in enumerate(draft.layers):
        restrictions = []
        for j, window in enumerate(layer.windows):
            if window.is_empty():
                continue
            problem = _window_problem(window)
            if problem:
                errors[f"layer-{i}-window-{j}"] = [problem]
                continue
            restrictions.append({"weekdays": window.days, "start": window.start, "end": window.end})
        hours = _int_or_none(layer.shift_length_hours)
        specs.append(
            {
                "name": layer.name,
                "users": list(layer.members),
                "rotation": layer.rotation,
                "shift_length_hours": hours,
                "handoff_time": layer.handoff_time or None,
                "start": layer.start,
                "restrictions": restrictions,
            }
        )
    return specs, errors


_SERVICE_KEY = re.compile(r"^(layers|rules)\[(\d+)\]\.(\w+)")


def errors_from_service(errors: dict[str, list[str]]) -> dict[str, list[str]]:
    """A service's error keys (``layers[0].users``, ``rules[1].targets[0]``) as this
    form's field names (``layer-0-users``, ``rule-1-targets``)."""
    mapped: dict[str, list[str]] = {}
    for key, messages in errors.items():
        match = _SERVICE_KEY.match(key)
        if match:
            kind, index, name = match.groups()
            key = f"{'layer' if kind == 'layers' else 'rule'}-{index}-{name}"
        mapped.setdefault(key, []).extend(str(m) for m in messages)
    return mapped


# --- escalation policies ----------------------------------------------------------------


@dataclass
class RuleDraft:
    delay_minutes: str = "15"
    targets: list[str] = field(default_factory=list)  # "user:5", "schedule:2", "team:1"
    high_urgency_only: bool = False


@dataclass
class PolicyDraft:
    name: str = ""
    description: str = ""
    repeat: str = "0"
    is_default: bool = False
    rules: list[RuleDraft] = field(default_factory=list)


def policy_draft_new(*, is_default: bool) -> PolicyDraft:
    return PolicyDraft(is_default=is_default, rules=[RuleDraft()])


def policy_draft_from_policy(policy: Any, *, is_default: bool) -> PolicyDraft:
    rules = [
        RuleDraft(
            delay_minutes=str(rule.delay_minutes),
            targets=[f"{t.type}:{t.target_id}" for t in rule.targets.all()],
            high_urgency_only=rule.high_urgency_only,
        )
        for rule in policy.rules.all()
    ]
    return PolicyDraft(
        name=policy.name,
        description=policy.description,
        repeat=str(policy.repeat),
        is_default=is_default,
        rules=rules,
    )


def policy_draft_from_post(post: QueryDict) -> PolicyDraft:
    rules = [
        RuleDraft(
            delay_minutes=post.get(f"rule-{i}-delay_minutes", "").strip(),
            targets=[t for t in post.getlist(f"rule-{i}-target") if ":" in t][:MAX_ROWS],
            high_urgency_only=post.get(f"rule-{i}-high_urgency_only") == "on",
        )
        for i in range(_count(post, "rules"))
    ]
    return PolicyDraft(
        name=post.get("name", "").strip(),
        description=post.get("description", "").strip(),
        repeat=post.get("repeat", "").strip(),
        is_default=post.get("is_default") == "on",
        rules=rules,
    )


def policy_draft_apply(draft: PolicyDraft, raw_action: str) -> str:
    """Apply an add/remove/move button to ``draft`` in place; the id to focus after."""
    verb, at = _action(raw_action)
    if verb == "add-rule" and len(draft.rules) < MAX_ROWS:
        draft.rules.append(RuleDraft())
        return f"rule-{len(draft.rules) - 1}-delay_minutes"
    if not at or not 0 <= at[0] < len(draft.rules):
        return ""
    i = at[0]
    if verb == "remove-rule":
        draft.rules.pop(i)
        return "add-rule"
    if verb in ("rule-up", "rule-down"):
        step = -1 if verb == "rule-up" else 1
        _move(draft.rules, i, step)
        return f"rule-{max(0, min(len(draft.rules) - 1, i + step))}-heading"
    return ""


def policy_specs(draft: PolicyDraft) -> tuple[list[dict[str, Any]], dict[str, list[str]]]:
    """The draft's rules as the specs ``rules_clean`` takes, and the repeat count."""
    errors: dict[str, list[str]] = {}
    rules = []
    for rule in draft.rules:
        targets = []
        for raw in rule.targets:
            kind, _, target_id = raw.partition(":")
            if kind in TargetType.values and _int_or_none(target_id) is not None:
                targets.append({"type": kind, "id": _int_or_none(target_id)})
        delay = _int_or_none(rule.delay_minutes)
        rules.append(
            {
                "delay_minutes": delay if delay is not None else rule.delay_minutes,
                "targets": targets,
                "high_urgency_only": rule.high_urgency_only,
            }
        )
    return rules, errors


def policy_repeat(draft: PolicyDraft) -> int | str:
    repeat = _int_or_none(draft.repeat)
    return repeat if repeat is not None else draft.repeat


# --- overrides ------------------------------------------------------------------------


class LocalDateTimeInput(forms.DateTimeInput):
    """A browser date-and-time picker; values in the zone the request renders in."""

    input_type = "datetime-local"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%dT%H:%M")


class CoverForm(forms.Form):
    """Who covers a schedule from when to when (times in the reader's zone)."""

    user = forms.TypedChoiceField(label="Who covers", coerce=int, empty_value=None)
    start = forms.DateTimeField(label="From", widget=LocalDateTimeInput())
    end = forms.DateTimeField(label="Until", widget=LocalDateTimeInput())

    def __init__(self, *args: Any, people: list[Any], **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.people = {p.pk: p for p in people}
        choices = [(p.pk, p.get_full_name() or p.get_username()) for p in people]
        if len(choices) != 1:
            choices = [("", "Choose a person"), *choices]
        self.fields["user"].choices = choices
        self.fields["user"].error_messages["invalid_choice"] = "Choose someone from the list."
        self.fields["start"].error_messages["invalid"] = "Give a date and time."
        self.fields["end"].error_messages["invalid"] = "Give a date and time."

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and end <= start:
            self.add_error("end", "The end must be after the start.")
        return data
