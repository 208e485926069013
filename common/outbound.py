"""Outbound HTTP to addresses people type in (webhook contact methods, Slack incoming
webhooks): the guard against server-side request forgery. Without it, anyone who may add
a contact method could have Tocsin POST to the cloud's metadata service or to services
on the internal network. Loopback, private, link-local, shared, reserved and multicast
addresses are refused: when the address is saved (the literal addresses, ``localhost``)
and again right before each request (every address the host name resolves to).
``OUTBOUND_ALLOW_PRIVATE_NETWORKS=1`` lifts it, for receivers inside your network."""

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings


class ForbiddenDestination(Exception):
    """The URL may not be called; the message says why."""


def _refused(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return not address.is_global or address.is_multicast


def outbound_url_problems(url: str) -> list[str]:
    """What is wrong with ``url`` as a destination, without looking it up in DNS (names
    may resolve only where the workers run)."""
    try:
        parts = urlsplit(url.strip())
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError for a port out of range
    except ValueError:
        return ["Not a valid URL."]
    if parts.scheme not in ("http", "https") or not host:
        return ["Use an http:// or https:// URL with a host name."]
    if settings.OUTBOUND_ALLOW_PRIVATE_NETWORKS:
        return []
    if host == "localhost" or host.endswith(".localhost"):
        return ["The URL points at this server (localhost)."]
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return []  # a name: checked when it is called
    if _refused(address):
        return [f"{address} is a private, local or reserved address; Tocsin does not call it."]
    return []


def outbound_url_require_public(url: str) -> None:
    """Right before a request: ``url`` must pass ``outbound_url_problems`` and every
    address its host resolves to must be public; else ForbiddenDestination."""
    problems = outbound_url_problems(url)
    if problems:
        raise ForbiddenDestination(problems[0])
    if settings.OUTBOUND_ALLOW_PRIVATE_NETWORKS:
        return
    parts = urlsplit(url.strip())
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        found = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError) as exc:
        raise ForbiddenDestination(f"Cannot resolve {host}: {exc}") from exc
    for *_, sockaddr in found:
        address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        if _refused(address):
            raise ForbiddenDestination(
                f"{host} resolves to {address}, a private, local or reserved address; "
                "Tocsin does not call it."
            )
