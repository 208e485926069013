"""The schedule and escalation-policy editors of a team's managers (and staff); the
same pages read-only for the team's members; a 404 for everyone else.

The add/remove/move buttons and "Preview" post the unsaved draft back and get the
form re-rendered (htmx swaps just the form; without JavaScript it is a whole page);
"Save" goes through the services the API uses (``layers_clean``, ``schedule_create`` /
``schedule_update``, ``rules_clean``, ``escalation_policy_create`` / ``_update``)."""

from typing import Any
from urllib.parse import urlencode
from zoneinfo import available_timezones

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from common.errors import Conflict, DomainError, InvalidInput, NotFound
from common.zones import time_zone_problems
from oncall.policies.selectors import escalation_policy_get
from oncall.policies.services import escalation_policy_save, rules_clean
from oncall.schedules import rotation
from oncall.schedules.models import Rotation, Schedule
from oncall.schedules.selectors import (
    schedule_draft_to_rotation,
    schedule_get,
    schedule_list,
    schedule_to_rotation,
    users_by_id,
)
from oncall.schedules.services import layers_clean, schedule_create, schedule_update
from oncall.teams.selectors import team_get, team_is_manager, team_membership_list
from oncall.web import forms, grid

PREVIEW_DAYS = 14


def _team_or_404(request: HttpRequest, team_id: int) -> Any:
    try:
        return team_get(user=request.user, team_id=team_id)
    except NotFound as error:
        raise Http404(error.detail) from None


def _people(team: Any) -> list[Any]:
    """The team's active members, the only people its pickers offer."""
    return [m.user for m in team_membership_list(team=team) if m.user.is_active]


def forbidden(request: HttpRequest, team: Any, what: str) -> HttpResponse:
    return render(
        request,
        "oncall/forbidden.html",
        {"team": team, "what": what, "back": _oncall_url(team)},
        status=403,
    )


def _oncall_url(team: Any, anchor: str = "") -> str:
    return reverse("web:oncall-page") + "?" + urlencode({"team": team.pk}) + anchor


def _done(request: HttpRequest, url: str) -> HttpResponse:
    """After saving: htmx follows ``HX-Redirect``; a plain form post a 302."""
    if request.headers.get("HX-Request"):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


def _render_editor(request: HttpRequest, template: str, context: dict[str, Any]) -> HttpResponse:
    """The whole page, or only the form when htmx asked for it."""
    if request.headers.get("HX-Request") and request.method == "POST":
        context["partial"] = True
        return render(request, f"oncall/_{template}_form.html", context)
    return render(request, f"oncall/{template}_edit.html", context)


# --- schedules --------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def schedule_new(request: HttpRequest, team_id: int) -> HttpResponse:
    team = _team_or_404(request, team_id)
    if not team_is_manager(user=request.user, team=team):
        return forbidden(request, team, "add schedules")
    return _schedule_editor(request, team, None)


@require_http_methods(["GET", "POST"])
def schedule_edit(request: HttpRequest, schedule_id: int) -> HttpResponse:
    try:
        schedule = schedule_get(user=request.user, schedule_id=schedule_id)
    except NotFound as error:
        raise Http404(error.detail) from None
    if not team_is_manager(user=request.user, team=schedule.team):
        if request.method == "POST":
            return forbidden(request, schedule.team, "change its schedules")
        return _schedule_read_only(request, schedule)
    return _schedule_editor(request, schedule.team, schedule)


def _schedule_read_only(request: HttpRequest, schedule: Schedule) -> HttpResponse:
    users = users_by_id({m.user_id for layer in schedule.layers.all() for m in layer.members.all()})
    draft = forms.schedule_draft_from_schedule(schedule)
    return render(
        request,
        "oncall/schedule_edit.html",
        {
            "team": schedule.team,
            "schedule": schedule,
            "draft": draft,
            "layers": _layer_rows(draft, users, {}),
            "can_edit": False,
            "back": _oncall_url(schedule.team, f"#schedule-{schedule.pk}"),
        },
    )


def _schedule_editor(request: HttpRequest, team: Any, schedule: Schedule | None) -> HttpResponse:
    people = _people(team)
    today = timezone.localdate()
    errors: dict[str, list[str]] = {}
    focus = ""
    action = "show"
    preview = None
    if request.method == "GET":
        draft = (
            forms.schedule_draft_from_schedule(schedule)
            if schedule
            else forms.schedule_draft_new(
                time_zone=timezone.get_current_timezone_name(), today=today
            )
        )
    else:
        draft = forms.schedule_draft_from_post(request.POST)
        action = request.POST.get("action") or "preview"  # Enter in a field previews
        if action not in ("preview", "save"):
            focus, errors = forms.schedule_draft_apply(
                draft, action, request.POST, member_ids={p.pk for p in people}, today=today
            )
        else:
            cleaned, errors = _schedule_check(team, draft, viewer=request.user)
            if not errors and action == "save":
                saved, errors = _schedule_save(request, team, schedule, draft)
                if saved is not None:
                    return _done(request, _oncall_url(team, f"#schedule-{saved.pk}"))
            if not errors and action == "preview":
                try:
                    preview = _preview(draft, cleaned, schedule, people)
                    focus = "schedule-preview"
                except ValueError as error:
                    errors["__all__"] = [str(error)]
            if errors:
                focus = "form-problems"
    users = {p.pk: p for p in people}
    missing = {uid for layer in draft.layers for uid in layer.members} - set(users)
    if missing:
        users.update(users_by_id(missing))  # former members still listed, to be removed
    context = {
        "team": team,
        "schedule": schedule,
        "draft": draft,
        "layers": _layer_rows(draft, users, errors),
        "people": people,
        "errors": errors,
        "problems": _problem_list(errors),
        "preview": preview,
        "focus": focus,
        "can_edit": True,
        "rotations": Rotation.choices,
        "weekdays": forms.WEEKDAYS,
        "zones": sorted(available_timezones() | {"UTC"}),
        "back": _oncall_url(team, f"#schedule-{schedule.pk}" if schedule else ""),
    }
    return _render_editor(request, "schedule", context)


def _schedule_check(
    team: Any, draft: forms.ScheduleDraft, *, viewer: Any
) -> tuple[list[dict[str, Any]], dict[str, list[str]]]:
    """Everything wrong with the draft at once: its time windows, its time zone, and
    what ``layers_clean`` (the API's check) says about its layers."""
    specs, errors = forms.schedule_specs(draft)
    if time_zone_problems(draft.time_zone):
        errors["time_zone"] = [
            "Choose a time zone from the list, such as Europe/Berlin or America/New_York."
        ]
    if not draft.layers:
        errors["layers"] = ["Add at least one layer."]
    cleaned: list[dict[str, Any]] = []
    try:
        cleaned = layers_clean(team=team, layers=specs, viewer=viewer)
    except InvalidInput as error:
        for key, messages_ in forms.errors_from_service(error.errors).items():
            errors.setdefault(key, []).extend(messages_)
    return cleaned, errors


def _schedule_save(
    request: HttpRequest, team: Any, schedule: Schedule | None, draft: forms.ScheduleDraft
) -> tuple[Schedule | None, dict[str, list[str]]]:
    if not draft.name:
        return None, {"name": ["Give the schedule a name."]}
    specs, _ = forms.schedule_specs(draft)
    fields = {"name": draft.name, "time_zone": draft.time_zone, "description": draft.description}
    try:
        if schedule is None:
            saved = schedule_create(actor=request.user, team=team, layers=specs, **fields)
        else:
            saved = schedule_update(actor=request.user, schedule=schedule, layers=specs, **fields)
    except Conflict as error:
        return None, {"name": [error.detail]}
    except DomainError as error:
        found = forms.errors_from_service(error.errors) or {"__all__": [error.detail]}
        return None, found
    messages.success(request, f"Schedule {saved.name} saved.")
    return saved, {}


def _preview(
    draft: forms.ScheduleDraft,
    cleaned: list[dict[str, Any]],
    schedule: Schedule | None,
    people: list[Any],
) -> dict[str, Any]:
    """The final schedule the draft would give over the next two weeks, from today in
    the reader's zone: who is on when, the gaps, and each person's hours. The saved
    schedule's overrides are stacked on top, as they would be after saving."""
    zone = timezone.get_current_timezone()
    days = grid.local_days(timezone.localdate(), PREVIEW_DAYS, zone)
    start, end = days[0]["start"], days[-1]["end"]
    overrides = schedule_to_rotation(schedule).overrides if schedule else ()
    value = schedule_draft_to_rotation(
        time_zone=draft.time_zone, layers=cleaned, overrides=overrides
    )
    final = rotation.final_shifts(value, start, end)
    gaps = rotation.gaps(value, start, end)
    users = {p.pk: p for p in people}
    missing = {s.user for s in final} - set(users)
    if missing:
        users.update(users_by_id(missing))
    cells = grid.day_segments(grid.final_with_gaps(final, gaps), days, users)
    hours: dict[int, float] = {}
    for shift in final:
        hours[shift.user] = hours.get(shift.user, 0) + (shift.end - shift.start).total_seconds()
    return {
        "days": list(zip(days, cells, strict=True)),
        "gaps": gaps,
        "gap_seconds": sum((hi - lo).total_seconds() for lo, hi in gaps),
        "totals": sorted(
            ((users.get(uid), seconds) for uid, seconds in hours.items()),
            key=lambda row: -row[1],
        ),
        "with_overrides": bool(overrides),
        "zone": timezone.get_current_timezone_name(),
    }


def _layer_rows(
    draft: forms.ScheduleDraft, users: dict[int, Any], errors: dict[str, list[str]]
) -> list[dict[str, Any]]:
    """Each layer of the draft with its people (users, in order) and its errors."""
    rows = []
    for i, layer in enumerate(draft.layers):
        prefix = f"layer-{i}"
        rows.append(
            {
                "index": i,
                "prefix": prefix,
                "layer": layer,
                "members": [(uid, users.get(uid)) for uid in layer.members],
                "windows": [
                    {
                        "index": j,
                        "id": f"{prefix}-window-{j}",
                        "window": w,
                        "errors": errors.get(f"{prefix}-window-{j}", []),
                    }
                    for j, w in enumerate(layer.windows)
                ],
                "errors": {
                    name: errors.get(f"{prefix}-{name}", [])
                    for name in (
                        "name",
                        "users",
                        "rotation",
                        "shift_length_hours",
                        "handoff_time",
                        "start",
                        "restrictions",
                        "add_member",
                    )
                },
            }
        )
    return rows


_FIELD_NAMES = {
    "name": "Name",
    "time_zone": "Time zone",
    "layers": "Layers",
    "repeat": "Repeat",
    "rules": "Rules",
    "users": "people",
    "rotation": "rotation",
    "shift_length_hours": "shift length",
    "handoff_time": "handoff time",
    "start": "start date",
    "restrictions": "time windows",
    "add_member": "add a person",
    "delay_minutes": "wait",
    "targets": "who to page",
    "high_urgency_only": "high urgency only",
}


def _problem_list(errors: dict[str, list[str]]) -> list[dict[str, str]]:
    """A summary at the top of the form, each problem linking to its field."""
    problems = []
    for key, messages_ in errors.items():
        parts = key.split("-")
        if key == "__all__":
            label, anchor = "", ""
        elif len(parts) >= 3 and parts[0] in ("layer", "rule"):
            what = "Layer" if parts[0] == "layer" else "Rule"
            number = int(parts[1]) + 1
            rest = "-".join(parts[2:])
            if rest.startswith("window-"):
                label = f"{what} {number}, time window {int(parts[3]) + 1}"
            elif rest.startswith("targets"):
                label = f"{what} {number}, {_FIELD_NAMES['targets']}"
                key = f"{parts[0]}-{parts[1]}-targets"
            else:
                label = f"{what} {number}, {_FIELD_NAMES.get(rest, rest.replace('_', ' '))}"
            anchor = key
        else:
            label, anchor = _FIELD_NAMES.get(key, key.replace("_", " ").capitalize()), key
        for message in messages_:
            problems.append({"label": label, "message": message, "anchor": anchor})
    return problems


# --- escalation policies ----------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def policy_new(request: HttpRequest, team_id: int) -> HttpResponse:
    team = _team_or_404(request, team_id)
    if not team_is_manager(user=request.user, team=team):
        return forbidden(request, team, "add escalation policies")
    return _policy_editor(request, team, None)


@require_http_methods(["GET", "POST"])
def policy_edit(request: HttpRequest, policy_id: int) -> HttpResponse:
    try:
        policy = escalation_policy_get(user=request.user, policy_id=policy_id)
    except NotFound as error:
        raise Http404(error.detail) from None
    if not team_is_manager(user=request.user, team=policy.team):
        if request.method == "POST":
            return forbidden(request, policy.team, "change its escalation policies")
        return _policy_editor(request, policy.team, policy, can_edit=False)
    return _policy_editor(request, policy.team, policy)


def _policy_targets(request: HttpRequest, team: Any) -> list[dict[str, Any]]:
    """What a rule of this team's policies may page: its schedules, its people, the
    whole team (``value`` as the form posts it)."""
    schedules = schedule_list(user=request.user, team_id=team.pk)
    targets = [
        {"value": f"schedule:{s.pk}", "label": f"Whoever is on call for {s.name}", "group": "s"}
        for s in schedules
    ]
    targets += [
        {"value": f"user:{p.pk}", "label": p.get_full_name() or p.get_username(), "group": "p"}
        for p in _people(team)
    ]
    targets.append({"value": f"team:{team.pk}", "label": f"Everyone in {team.name}", "group": "t"})
    return targets


def _policy_editor(
    request: HttpRequest, team: Any, policy: Any, *, can_edit: bool = True
) -> HttpResponse:
    is_default = policy is not None and team.escalation_policy_id == policy.pk
    errors: dict[str, list[str]] = {}
    focus = ""
    if request.method == "GET":
        draft = (
            forms.policy_draft_from_policy(policy, is_default=is_default)
            if policy
            else forms.policy_draft_new(is_default=team.escalation_policy_id is None)
        )
    else:
        draft = forms.policy_draft_from_post(request.POST)
        action = request.POST.get("action") or "save"
        if action != "save":
            focus = forms.policy_draft_apply(draft, action)
        else:
            saved, errors = _policy_save(request, team, policy, draft)
            if saved is not None:
                return _done(request, _oncall_url(team, f"#policy-{saved.pk}"))
            focus = "form-problems"
    targets = _policy_targets(request, team)
    labels = {t["value"]: t["label"] for t in targets}
    rules = []
    elapsed = 0
    for i, rule in enumerate(draft.rules):
        rules.append(
            {
                "index": i,
                "index_s": str(i),
                "rule": rule,
                "starts_after": elapsed,
                "chosen": [labels.get(v, "someone no longer in the team") for v in rule.targets],
                "errors": {
                    name: errors.get(f"rule-{i}-{name}", [])
                    for name in ("delay_minutes", "targets", "high_urgency_only")
                },
            }
        )
        elapsed += forms._int_or_none(rule.delay_minutes) or 0
    context = {
        "team": team,
        "policy": policy,
        "draft": draft,
        "rules": rules,
        "targets": targets,
        "errors": errors,
        "problems": _problem_list(errors),
        "focus": focus,
        "can_edit": can_edit,
        "back": _oncall_url(team, f"#policy-{policy.pk}" if policy else ""),
    }
    return _render_editor(request, "policy", context)


def _policy_save(
    request: HttpRequest, team: Any, policy: Any, draft: forms.PolicyDraft
) -> tuple[Any, dict[str, list[str]]]:
    errors: dict[str, list[str]] = {}
    if not draft.name:
        errors["name"] = ["Give the policy a name."]
    repeat = forms.policy_repeat(draft)
    if not isinstance(repeat, int) or not 0 <= repeat <= 9:
        errors["repeat"] = ["Give a number from 0 to 9."]
    rules, _ = forms.policy_specs(draft)
    try:
        rules_clean(team=team, rules=rules, viewer=request.user)
    except InvalidInput as error:
        for key, messages_ in forms.errors_from_service(error.errors).items():
            errors.setdefault(key, []).extend(messages_)
    if errors:
        return None, errors
    fields = {"name": draft.name, "repeat": repeat, "description": draft.description}
    try:
        saved = escalation_policy_save(
            actor=request.user,
            team=team,
            policy=policy,
            rules=rules,
            is_default=draft.is_default,
            **fields,
        )
    except Conflict as error:
        return None, {"name": [error.detail]}
    except DomainError as error:
        return None, forms.errors_from_service(error.errors) or {"__all__": [error.detail]}
    messages.success(request, f"Escalation policy {saved.name} saved.")
    return saved, {}
