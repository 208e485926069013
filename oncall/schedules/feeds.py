"""Secret, revocable iCal feed URLs: calendar apps subscribe without a session. The token in
the URL is the credential; rotating it (API or admin) revokes every old subscription."""

from datetime import timedelta
from typing import Any

from django.contrib.auth.decorators import login_not_required
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from oncall.contacts.models import OnCallPreference
from oncall.schedules.ical import FeedSchedule, shifts_calendar
from oncall.schedules.selectors import schedule_queryset, schedule_shifts, users_by_id

FEED_PAST = timedelta(days=14)


FEED_FUTURE = timedelta(days=60)


# Shifts are computed this much beyond the feed's window on each side, so the first and
# the last keep their real start and end (and their UID) instead of being cut at the edge.
FEED_MARGIN = timedelta(days=35)


def _feed_shifts(schedule, now, user_id=None) -> list[tuple[FeedSchedule, Any]]:
    """The schedule's shifts that overlap [now - FEED_PAST, now + FEED_FUTURE), whole."""
    first, last = now - FEED_PAST, now + FEED_FUTURE
    label = FeedSchedule(id=schedule.pk, label=f"{schedule.team.name}: {schedule.name}")
    return [
        (label, shift)
        for shift in schedule_shifts(
            schedule=schedule, start=first - FEED_MARGIN, end=last + FEED_MARGIN
        )
        if shift.end > first and shift.start < last and user_id in (None, shift.user)
    ]


def _response(body: bytes) -> HttpResponse:
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "private, max-age=300"
    return response


def schedule_feed_body(schedule) -> bytes:
    now = timezone.now()
    shifts = _feed_shifts(schedule, now)
    names = {u.pk: u.get_username() for u in users_by_id({s.user for _, s in shifts}).values()}
    return shifts_calendar(
        name=f"{schedule.team.name}: {schedule.name}", shifts=shifts, usernames=names, now=now
    )


@login_not_required  # the secret token in the URL is the credential
@require_GET
def schedule_feed(request: HttpRequest, token: str) -> HttpResponse:
    schedule = schedule_queryset().filter(ical_token=token).first()
    if schedule is None:
        raise Http404
    return _response(schedule_feed_body(schedule))


@login_not_required
@require_GET
def user_feed(request: HttpRequest, token: str) -> HttpResponse:
    preference = OnCallPreference.objects.select_related("user").filter(ical_token=token).first()
    if preference is None or not preference.user.is_active:
        raise Http404
    user = preference.user
    now = timezone.now()
    # On a layer, or put on a schedule by an override.
    schedules = (
        schedule_queryset()
        .filter(Q(layers__members__user=user) | Q(overrides__user=user))
        .distinct()
    )
    mine = [pair for schedule in schedules for pair in _feed_shifts(schedule, now, user.pk)]
    mine.sort(key=lambda pair: pair[1].start)
    return _response(
        shifts_calendar(
            name=f"My on-call shifts ({user.get_username()})",
            shifts=mine,
            usernames={user.pk: user.get_username()},
            now=now,
        )
    )
