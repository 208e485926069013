import re

from django.conf import settings
from django.contrib.auth.middleware import LoginRequiredMiddleware as DjangoLoginRequired
from django.utils import timezone

from common.zones import zone_or_none
from oncall.contacts.selectors import person_time_zone


class LoginRequiredMiddleware(DjangoLoginRequired):
    """Django's LoginRequiredMiddleware (views opt out with @login_not_required), plus
    path prefixes that authenticate themselves (settings.LOGIN_REQUIRED_EXEMPT_PATHS)."""

    def __init__(self, get_response):
        super().__init__(get_response)
        self.exempt = [re.compile(p) for p in settings.LOGIN_REQUIRED_EXEMPT_PATHS]

    def process_view(self, request, view_func, view_args, view_kwargs):
        if any(p.match(request.path_info) for p in self.exempt):
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)


class ReaderTimeZoneMiddleware:
    """Activate the signed-in person's own time zone for the request, so every page shows
    times in it (templates convert aware datetimes to the current zone). It is read on
    every request (one indexed query), so a zone changed anywhere — the profile, the API,
    the admin — shows at once in every open session. The API (``/api/``) always answers
    in UTC, whoever asks and however they authenticate; anonymous pages (the status page)
    are in UTC too."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        zone = None
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not request.path.startswith("/api/"):
            zone = zone_or_none(person_time_zone(user=user))
        if zone is None:
            timezone.deactivate()
        else:
            timezone.activate(zone)
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
