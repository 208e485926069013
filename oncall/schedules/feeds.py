"""Secret, revocable iCal feed URLs: calendar apps subscribe without a session. The token in
the URL is the credential; rotating it (API or admin) revokes every old subscription."""

from datetime import timedelta

from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from oncall.contacts.models import OnCallPreference
from oncall.schedules.ical import shifts_calendar
from oncall.schedules.selectors import schedule_queryset, schedule_shifts, users_by_id

FEED_PAST = timedelta(days=14)


FEED_FUTURE = timedelta(days=60)


def _response(body: bytes) -> HttpResponse:
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "private, max-age=300"
    return response


def schedule_feed_body(schedule) -> bytes:
    now = timezone.now()
    shifts = schedule_shifts(schedule=schedule, start=now - FEED_PAST, end=now + FEED_FUTURE)
    names = {u.pk: u.get_username() for u in users_by_id({s.user for s in shifts}).values()}
    return shifts_calendar(
        name=f"{schedule.team.name}: {schedule.name}",
        shifts=[(schedule.name, s) for s in shifts],
        usernames=names,
        now=now,
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
    schedules = schedule_queryset().filter(layers__members__user=user).distinct()
    mine = []
    for schedule in schedules:
        for shift in schedule_shifts(
            schedule=schedule, start=now - FEED_PAST, end=now + FEED_FUTURE
        ):
            if shift.user == user.pk:
                mine.append((schedule.name, shift))
    # Overrides put people on schedules whose layers they are not on.
    schedules_with_overrides = (
        schedule_queryset().filter(overrides__user=user).exclude(pk__in=[s.pk for s in schedules])
    )
    for schedule in schedules_with_overrides.distinct():
        for shift in schedule_shifts(
            schedule=schedule, start=now - FEED_PAST, end=now + FEED_FUTURE
        ):
            if shift.user == user.pk:
                mine.append((schedule.name, shift))
    mine.sort(key=lambda pair: pair[1].start)
    return _response(
        shifts_calendar(
            name=f"My on-call shifts ({user.get_username()})",
            shifts=mine,
            usernames={user.pk: user.get_username()},
            now=now,
        )
    )
