"""Where a request came from. The same answer as allauth's sign-in rate limits give (one
pair of settings, ``ALLAUTH_TRUSTED_CLIENT_IP_HEADER`` and ``ALLAUTH_TRUSTED_PROXY_COUNT``,
set from the environment in config.settings.auth): without them, only the socket's
address counts, and a forged ``X-Forwarded-For`` is ignored."""

import ipaddress

from django.conf import settings
from django.http import HttpRequest

USER_AGENT_LENGTH = 255


def _clean(value: str | None) -> str | None:
    if not value:
        return None
    value = value.strip()
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


def client_address(request: HttpRequest | None) -> str | None:
    if request is None:
        return None
    header = getattr(settings, "ALLAUTH_TRUSTED_CLIENT_IP_HEADER", None)
    if header:
        return _clean(request.headers.get(header))
    proxies = getattr(settings, "ALLAUTH_TRUSTED_PROXY_COUNT", 0) or 0
    forwarded = request.headers.get("x-forwarded-for")
    if proxies > 0 and forwarded:
        hops = forwarded.split(",")
        if len(hops) >= proxies:
            return _clean(hops[-proxies])
    return _clean(request.META.get("REMOTE_ADDR"))


def user_agent_of(request: HttpRequest | None) -> str:
    if request is None:
        return ""
    return (request.headers.get("user-agent") or "")[:USER_AGENT_LENGTH]
