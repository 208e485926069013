"""The reader's time zone as the session keeps it (``config.middleware`` activates it on
every request; the profile's saves replace it at once)."""

from django.http import HttpRequest

# The session key holding the reader's zone name (set at first request, replaced on save).
SESSION_TIME_ZONE_KEY = "tocsin_time_zone"


def reader_time_zone_remember(request: HttpRequest, zone_name: str) -> None:
    request.session[SESSION_TIME_ZONE_KEY] = zone_name
