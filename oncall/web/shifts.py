"""A person's own on-call: "My shifts" (their shifts for the next four weeks across
their teams, with the calendar feed to subscribe to) and "Cover this shift" (an
override pre-filled with a shift's start and end)."""

import datetime
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from common.errors import DomainError, NotFound
from oncall.contacts.services import oncall_preference_get
from oncall.schedules.selectors import person_shifts, schedule_get
from oncall.schedules.services import override_create
from oncall.teams.selectors import team_is_manager, team_membership_list
from oncall.web.forms import CoverForm

MY_SHIFTS_AHEAD = datetime.timedelta(days=28)


@require_GET
def my_shifts(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    rows = [
        {
            "schedule": schedule,
            "start": shift.start,
            "end": shift.end,
            "length": shift.end - shift.start,
            "now": shift.start <= now,
        }
        for schedule, shift in person_shifts(
            user=request.user, start=now, end=now + MY_SHIFTS_AHEAD
        )
    ]
    preference = oncall_preference_get(actor=request.user)
    feed = settings.SITE_URL + reverse("feeds:user-ical-feed", args=[preference.ical_token])
    return render(
        request,
        "oncall/my_shifts.html",
        {
            "rows": rows,
            "total": sum((row["length"] for row in rows), datetime.timedelta()),
            "feed_url": feed,
            "webcal_url": "webcal://" + feed.split("://", 1)[-1],
            "weeks": MY_SHIFTS_AHEAD.days // 7,
        },
    )


def _instant(raw: str | None) -> datetime.datetime | None:
    """A Unix time from the query (``?start=1773136800``), or None."""
    try:
        value = datetime.datetime.fromtimestamp(int(raw or ""), tz=datetime.UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None
    return value if 1971 <= value.year <= 9000 else None


def _cover_people(
    request: HttpRequest, people: list[Any], team: Any, whose: int | None
) -> tuple[list[Any], str]:
    """Who the form may name, and how the page puts it: on their own shift a person
    picks a teammate to cover them ("find"); a manager picks anyone in the team
    ("pick"); otherwise a member covers themselves ("self")."""
    me = request.user.pk
    if whose == me:
        return [p for p in people if p.pk != me], "find"
    if team_is_manager(user=request.user, team=team):
        return people, "pick"
    return [p for p in people if p.pk == me], "self"


@require_http_methods(["GET", "POST"])
def cover(request: HttpRequest, schedule_id: int) -> HttpResponse:
    try:
        schedule = schedule_get(user=request.user, schedule_id=schedule_id)
    except NotFound as error:
        raise Http404(error.detail) from None
    source = request.POST if request.method == "POST" else request.GET
    whose = _int(source.get("for"))
    everyone = [m.user for m in team_membership_list(team=schedule.team) if m.user.is_active]
    people, mode = _cover_people(request, everyone, schedule.team, whose)
    by_id = {p.pk: p for p in people}
    start, end = _instant(request.GET.get("start")), _instant(request.GET.get("end"))
    initial: dict[str, Any] = {"start": start, "end": end}
    if mode != "find" and request.user.pk in by_id:
        initial["user"] = request.user.pk
    form = CoverForm(request.POST or None, people=people, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            override = override_create(
                actor=request.user,
                schedule=schedule,
                user=by_id[data["user"]],
                start=data["start"],
                end=data["end"],
            )
        except DomainError as error:
            form.add_error(None, error.detail)
            for name, problems in error.errors.items():
                for problem in problems:
                    form.add_error(name if name in form.fields else None, problem)
        else:
            who = override.user.get_full_name() or override.user.get_username()
            messages.success(request, f"Override added: {who} covers {schedule.name}.")
            query = {
                "team": schedule.team_id,
                "week": timezone.localtime(override.start).date().isoformat(),
            }
            return redirect(
                reverse("web:oncall-page") + "?" + urlencode(query) + f"#schedule-{schedule.pk}"
            )
    holder = next((p for p in everyone if p.pk == whose), None)
    return render(
        request,
        "oncall/cover.html",
        {
            "schedule": schedule,
            "team": schedule.team,
            "form": form,
            "mode": mode,
            "holder": holder,
            "start": start,
            "end": end,
            "whose": whose or "",
            "query": request.GET.urlencode(),
        },
    )


def _int(raw: Any) -> int | None:
    try:
        return int(raw)
    except (TypeError, ValueError):
        return None
