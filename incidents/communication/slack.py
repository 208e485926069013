"""The Slack Web API calls whose answer Tocsin needs (creating the incident channel,
finding people, inviting them), through slack_sdk's WebClient. Posts into a channel do
not come here: they are outbox messages (``outbox.transports.slack``).

``base_url`` comes from settings.SLACK_API_URL, so tests point the client at a real
HTTP receiver on 127.0.0.1. Every function raises ``SlackError`` on failure (an API
error, a refused connection, a timeout), which the tasks retry and finally record. A
call made with a transaction open (a row lock possibly held while Slack answers) is a
bug, and refused."""

import re
from urllib.error import URLError

from django.conf import settings
from django.db import connection
from django.utils.text import slugify
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError


class SlackError(Exception):
    pass


def enabled() -> bool:
    return bool(settings.SLACK_BOT_TOKEN)


def client() -> WebClient:
    return WebClient(
        token=settings.SLACK_BOT_TOKEN,
        base_url=settings.SLACK_API_URL,
        timeout=settings.SLACK_TIMEOUT_SECONDS,
    )


def channel_name(*, number: int, team_key: str, title: str) -> str:
    """``inc-<number>-<slug>``; the slug starts with the team key because numbers are per
    team. Slack allows 80 lowercase letters, digits, hyphens and underscores."""
    slug = slugify(f"{team_key} {title}")
    slug = re.sub(r"[^a-z0-9_-]", "", slug)
    return f"inc-{number}-{slug}"[:80].rstrip("-")


def _require_no_transaction() -> None:
    """The network is slow: never talk to it inside a transaction. (The atomic blocks a
    test case wraps each test in do not count: a test runs the tasks after its commits.)"""
    if any(not getattr(block, "_from_testcase", False) for block in connection.atomic_blocks):
        raise RuntimeError("Slack must not be called inside a transaction.")


def _call(method, **kwargs) -> dict:
    _require_no_transaction()
    try:
        response = method(**kwargs)
    except SlackApiError as exc:
        raise SlackError(
            f"{exc.response.get('error', 'error')} ({exc.response.status_code})"
        ) from exc
    except (SlackClientError, URLError, OSError, ValueError) as exc:
        raise SlackError(f"{type(exc).__name__}: {exc}") from exc
    return response.data if isinstance(response.data, dict) else {}


def create_channel(name: str, *, private: bool = False) -> str:
    data = _call(client().conversations_create, name=name, is_private=private)
    return data["channel"]["id"]


def find_user_id(email: str) -> str | None:
    try:
        data = _call(client().users_lookupByEmail, email=email)
    except SlackError:
        return None  # not in the workspace: invite the others
    return (data.get("user") or {}).get("id")


def invite(channel_id: str, user_ids: list[str]) -> None:
    if user_ids:
        _call(client().conversations_invite, channel=channel_id, users=",".join(user_ids))
