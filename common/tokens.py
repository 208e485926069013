"""Secrets that stand in URLs (iCal feed tokens)."""

import secrets


def new_feed_token() -> str:
    return secrets.token_urlsafe(24)
