import re

from django.conf import settings
from django.contrib.auth.middleware import LoginRequiredMiddleware as DjangoLoginRequired
from django.utils import timezone

from common.zones import zone_or_none
from oncall.contacts.selectors import person_time_zone

# The session key holding the reader's zone name (set at first request, replaced when the
# profile is saved): it lives next to the profile pages, which write it.
from oncall.contacts.web.session import SESSION_TIME_ZONE_KEY

__all__ = ["SESSION_TIME_ZONE_KEY", "LoginRequiredMiddleware", "ReaderTimeZoneMiddleware"]


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
    times in it (templates convert aware datetimes to the current zone). The zone is read
    once per session and kept there (``SESSION_TIME_ZONE_KEY``); saving the profile
    replaces it. Anonymous visitors (the status page) see UTC."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        zone_name = None
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            zone_name = request.session.get(SESSION_TIME_ZONE_KEY)
            if zone_name is None:
                zone_name = person_time_zone(user=user) or "UTC"
                request.session[SESSION_TIME_ZONE_KEY] = zone_name
        zone = zone_or_none(zone_name) if zone_name else None
        if zone is None:
            timezone.deactivate()
        else:
            timezone.activate(zone)
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
