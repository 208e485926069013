"""The on-call page: per team, each schedule's week (layers, overrides, the final
schedule and its gaps) in the reader's own time zone (the one the request activated;
``?tz=`` shows another), an override form, the escalation policies in words, and the
panels other apps register (the paging engine's load report, see
``oncall.web.panels``); adding and removing overrides from it.

The page renders inside the zone it shows, so the grid, the gaps, the override list and
the override form all read and write the same wall-clock times.

Reads go through oncall's selectors and the pure rotation module; writes through
``oncall.schedules.services``."""

import datetime
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.views.decorators.http import require_POST

from common.errors import DomainError, NotFound
from common.zones import zone_or_none
from oncall.policies.models import TargetType
from oncall.policies.selectors import escalation_policy_list
from oncall.schedules import rotation
from oncall.schedules.models import Schedule
from oncall.schedules.selectors import (
    layer_to_rotation,
    override_get,
    schedule_get,
    schedule_list,
    schedule_to_rotation,
    users_by_id,
)
from oncall.schedules.services import override_create, override_delete
from oncall.teams.selectors import team_get, team_is_manager, team_list, team_membership_list
from oncall.web import grid
from oncall.web.grid import local_days
from oncall.web.panels import render_panels

DAYS = 7
AROUND = datetime.timedelta(days=14)


def _week_start(request: HttpRequest, zone: ZoneInfo) -> datetime.date:
    today = timezone.localtime(timezone.now(), zone).date()
    try:
        day = parse_date(request.GET.get("week", "")) or today
    except ValueError:
        day = today
    if not datetime.date(1971, 1, 1) <= day <= datetime.date(9000, 1, 1):
        day = today
    return day - datetime.timedelta(days=day.weekday())


def _schedule_week(schedule: Schedule, days: list[dict[str, Any]]) -> dict[str, Any]:
    start, end = days[0]["start"], days[-1]["end"]
    value = schedule_to_rotation(schedule)
    layers: list[dict[str, Any]] = []
    problems: list[str] = []
    for layer in schedule.layers.all():
        active = [m.user_id for m in layer.members.all() if m.user.is_active]
        try:
            shifts = rotation.layer_shifts(
                layer_to_rotation(layer, active), schedule.time_zone, start, end
            )
        except ValueError as error:
            problems.append(f"{layer.name or f'Layer {layer.position + 1}'}: {error}")
            shifts = []
        layers.append({"layer": layer, "shifts": shifts})
    # The final schedule around the week too, so "Cover this shift" offers a whole shift
    # even where it began before Monday or runs past Sunday; the grid clips to the days.
    try:
        final = rotation.final_shifts(value, start - AROUND, end + AROUND)
        wide_gaps = rotation.gaps(value, start - AROUND, end + AROUND)
    except ValueError as error:
        problems.append(str(error))
        final, wide_gaps = [], []
    gaps = [(max(lo, start), min(hi, end)) for lo, hi in wide_gaps if lo < end and hi > start]
    overrides = [o for o in schedule.overrides.all() if o.start < end and o.end > start]
    return {
        "schedule": schedule,
        "layers": layers,
        "overrides": overrides,
        "final": final,
        "gaps": gaps,
        "wide_gaps": wide_gaps,
        "problems": problems,
    }


def _rows(week: dict[str, Any], days, users) -> list[dict[str, Any]]:
    rows = [
        {
            "label": row["layer"].name or f"Layer {row['layer'].position + 1}",
            "kind": "layer",
            "cells": grid.day_segments(
                [(s.user, s.start, s.end) for s in row["shifts"]], days, users
            ),
        }
        for row in week["layers"]
    ]
    rows.append(
        {
            "label": "Overrides",
            "kind": "override",
            "cells": grid.day_segments(
                [(o.user_id, o.start, o.end) for o in week["overrides"]], days, users
            ),
        }
    )
    final = grid.final_with_gaps(week["final"], week["wide_gaps"])
    rows.append(
        {"label": "Final schedule", "kind": "final", "cells": grid.day_segments(final, days, users)}
    )
    for row in rows:
        row["day_cells"] = list(zip(days, row["cells"], strict=True))
    return rows


def _target_text(target: Any, users: dict[int, Any], schedules: dict[int, Any], teams) -> str:
    if target.type == TargetType.USER:
        user = users.get(target.user_id)
        return user.get_username() if user else f"user #{target.user_id}"
    if target.type == TargetType.SCHEDULE:
        schedule = schedules.get(target.schedule_id)
        name = schedule.name if schedule else f"schedule #{target.schedule_id}"
        return f"whoever is on call for {name}"
    team = teams.get(target.team_id)
    return f"everyone in {team.name if team else f'team #{target.team_id}'}"


def policy_sentences(policy: Any, users, schedules, teams) -> list[str]:
    """["at 0 min page alice", "after 5 min page whoever is on call for Primary", …]."""
    sentences = []
    elapsed = 0
    for rule in policy.rules.all():
        names = [_target_text(t, users, schedules, teams) for t in rule.targets.all()]
        who = " and ".join(names) if names else "nobody"
        sentences.append(
            f"at {elapsed} min page {who}" if elapsed == 0 else f"after {elapsed} min page {who}"
        )
        elapsed += rule.delay_minutes
    return sentences


def _policy_rows(policies: list[Any], schedules: list[Schedule], teams: list[Any]) -> list[dict]:
    user_ids = {
        t.user_id
        for p in policies
        for r in p.rules.all()
        for t in r.targets.all()
        if t.user_id is not None
    }
    users = users_by_id(user_ids) if user_ids else {}
    by_schedule = {s.pk: s for s in schedules}
    by_team = {t.pk: t for t in teams}
    rows = []
    for policy in policies:
        rules = list(policy.rules.all())
        cycle = sum(r.delay_minutes for r in rules)
        rows.append(
            {
                "policy": policy,
                "sentences": policy_sentences(policy, users, by_schedule, by_team),
                "repeat": policy.repeat,
                "cycle_minutes": cycle,
                "is_default": policy.team.escalation_policy_id == policy.pk,
            }
        )
    return rows


def _selected_team(request: HttpRequest, teams: list[Any]) -> Any:
    """The team asked for (a 404 when it is not one of the viewer's), else the first."""
    if request.GET.get("team"):
        try:
            return team_get(user=request.user, team_id=request.GET["team"])
        except NotFound as error:
            raise Http404(error.detail) from None
    return teams[0] if teams else None


def _schedule_weeks(
    request: HttpRequest, team: Any, schedules: list[Schedule], zone: Any
) -> list[dict[str, Any]]:
    """Each schedule's week as the page shows it, in ``zone``; the users on them loaded
    in one query."""
    first = _week_start(request, zone)
    days = local_days(first, DAYS, zone)
    all_user_ids: set[int] = set()
    raw_weeks = []
    for schedule in schedules:
        week = _schedule_week(schedule, days)
        all_user_ids.update(s.user for s in week["final"])
        for row in week["layers"]:
            all_user_ids.update(s.user for s in row["shifts"])
        all_user_ids.update(o.user_id for o in week["overrides"])
        raw_weeks.append((schedule, week))
    users = users_by_id(all_user_ids) if all_user_ids else {}
    base = {"team": team.pk}
    if request.GET.get("tz"):
        base["tz"] = request.GET["tz"]
    return [_week_view(schedule, first, days, week, users, base) for schedule, week in raw_weeks]


def _week_view(
    schedule: Schedule,
    first: datetime.date,
    days: list[dict[str, Any]],
    week: dict[str, Any],
    users: dict[int, Any],
    base: dict[str, Any],
) -> dict[str, Any]:
    """One schedule's week for the template (aware datetimes; the template shows them in
    the zone the page renders in); ``base`` is the query the previous/next week links
    keep."""
    return {
        "schedule": schedule,
        "days": days,
        "rows": _rows(week, days, users),
        "gaps": week["gaps"],
        "overrides": [
            {"override": o, "user": users.get(o.user_id), "start": o.start, "end": o.end}
            for o in week["overrides"]
        ],
        "problems": week["problems"],
        "previous": "?" + urlencode({**base, "week": first - datetime.timedelta(days=7)}),
        "next": "?" + urlencode({**base, "week": first + datetime.timedelta(days=7)}),
        "this_week": "?" + urlencode(base),
        "week": first,
    }


def _zone_choices(own: str, schedules: list[Schedule]) -> list[dict[str, str]]:
    """The zones the page offers to show times in: the reader's own (no ``tz``), each
    schedule's, and UTC."""
    choices = [{"zone": own, "tz": "", "label": f"Your zone ({own})"}]
    for name in sorted({s.time_zone for s in schedules} | {"UTC"}):
        if name != own:
            choices.append({"zone": name, "tz": name, "label": name})
    return choices


def oncall_page(request: HttpRequest) -> HttpResponse:
    teams = list(team_list(user=request.user))
    team = _selected_team(request, teams)
    asked = request.GET.get("tz", "").strip()
    zone = zone_or_none(asked) or timezone.get_current_timezone()
    if asked and zone_or_none(asked) is None:
        messages.error(request, f"Unknown time zone {asked!r}; showing times in your own zone.")
        asked = ""
    context: dict[str, Any] = {
        "teams": teams,
        "team": team,
        "tz_param": asked,
        "zone_name": str(zone),
        "own_zone": timezone.get_current_timezone_name(),
    }
    if team is not None:
        schedules = list(schedule_list(user=request.user, team_id=team.pk))
        policies = list(escalation_policy_list(user=request.user, team_id=team.pk))
        context.update(
            {
                "weeks": _schedule_weeks(request, team, schedules, zone),
                "members": [m.user for m in team_membership_list(team=team) if m.user.is_active],
                "policies": _policy_rows(policies, schedules, teams),
                "panels": render_panels(request, team),
                "can_edit": team_is_manager(user=request.user, team=team),
                "zone_choices": _zone_choices(context["own_zone"], schedules),
            }
        )
    # Rendered inside the zone shown, so every time on the page is in it.
    with timezone.override(zone):
        return render(request, "oncall/page.html", context)


def _back(request: HttpRequest, schedule: Schedule) -> HttpResponse:
    query = {"team": schedule.team_id}
    for key in ("tz", "week"):
        if request.POST.get(key):
            query[key] = request.POST[key]
    return redirect(
        reverse("web:oncall-page") + "?" + urlencode(query) + f"#schedule-{schedule.pk}"
    )


def _schedule_or_404(request: HttpRequest, schedule_id: int) -> Schedule:
    try:
        return schedule_get(user=request.user, schedule_id=schedule_id)
    except NotFound as error:
        raise Http404(error.detail) from None


def _local_instant(raw: str, zone: ZoneInfo) -> datetime.datetime | None:
    try:
        value = parse_datetime(raw.strip())
    except ValueError:
        return None
    if value is None or not 1971 <= value.year <= 9000:
        return None
    if timezone.is_naive(value):
        value = value.replace(tzinfo=zone)
    return value


@require_POST
def override_add(request: HttpRequest, schedule_id: int) -> HttpResponse:
    schedule = _schedule_or_404(request, schedule_id)
    zone = zone_or_none(request.POST.get("tz")) or timezone.get_current_timezone()
    members = {str(m.user_id): m.user for m in team_membership_list(team=schedule.team)}
    user = members.get(request.POST.get("user", ""))
    start = _local_instant(request.POST.get("start", ""), zone)
    end = _local_instant(request.POST.get("end", ""), zone)
    if user is None or start is None or end is None:
        messages.error(request, "Choose a team member and give a start and an end.")
        return _back(request, schedule)
    try:
        override_create(actor=request.user, schedule=schedule, user=user, start=start, end=end)
    except DomainError as error:
        details = [" ".join(map(str, errs)) for errs in error.errors.values()]
        messages.error(request, " ".join([error.detail, *details]))
    else:
        messages.success(request, f"Override added: {user.get_username()} covers {schedule.name}.")
    return _back(request, schedule)


@require_POST
def override_remove(request: HttpRequest, schedule_id: int, override_id: int) -> HttpResponse:
    schedule = _schedule_or_404(request, schedule_id)
    try:
        override = override_get(schedule=schedule, override_id=override_id)
    except NotFound as error:
        raise Http404(error.detail) from None
    try:
        override_delete(actor=request.user, override=override)
    except DomainError as error:
        messages.error(request, error.detail)
    else:
        messages.success(request, "Override removed.")
    return _back(request, schedule)
