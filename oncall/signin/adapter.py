"""The account adapter (``ACCOUNT_ADAPTER``): the people room's adapter, with allauth's
failed-login limit keyed per (login, source address) instead of per login alone.

allauth counts failures for a key and refuses the next attempt once the limit is reached
(``ACCOUNT_RATE_LIMITS["login_failed"]``). Keyed by the login only, five wrong passwords
from anywhere would lock the owner out too; with the address in the key, the owner
signing in from another address is not affected. The per-address part of the limit
(across accounts) stays allauth's own.

The lockout is an audit row when it starts (once per lock, not per refused attempt) and
another at the first attempt after it ended.
"""

import hashlib

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.exceptions import ValidationError

from oncall.audit.addresses import client_address
from oncall.audit.models import AuditAction
from oncall.audit.receivers import login_of
from oncall.audit.services import audit_record
from oncall.contacts.web.accounts import AccountAdapter as PeopleAccountAdapter

# How long the "this pair is locked" note is kept, to record the end of the lock when the
# next attempt comes (a lock itself lasts the limit's window, minutes).
LOCK_NOTE_SECONDS = 24 * 3600


def _note_key(cache_key: str) -> str:
    return "signin:locked:" + hashlib.sha256(cache_key.encode()).hexdigest()


def _account(login: str):
    if not login:
        return None
    user_model = get_user_model()
    return (
        user_model.objects.filter(username__iexact=login).first()
        or user_model.objects.filter(email__iexact=login).first()
    )


class AccountAdapter(PeopleAccountAdapter):
    def _get_login_attempts_cache_key(self, request, **credentials) -> str:
        login_key = super()._get_login_attempts_cache_key(request, **credentials)
        return f"{login_key}:{client_address(request) or '-'}"

    def _audit_lock(self, request, credentials, action, details=None) -> None:
        login = login_of(credentials)
        account = _account(login)
        audit_record(
            action=action,
            actor_label=login,
            request=request,
            target=account,
            target_type="auth.user",
            target_label=login,
            details=details or {},
        )

    def pre_authenticate(self, request, **credentials) -> None:
        note = _note_key(self._get_login_attempts_cache_key(request, **credentials))
        try:
            super().pre_authenticate(request, **credentials)
        except ValidationError:
            if cache.add(note, 1, LOCK_NOTE_SECONDS):
                self._audit_lock(
                    request,
                    credentials,
                    AuditAction.SIGNIN_LOCKED,
                    {"reason": "too many failed sign-ins from this address"},
                )
            raise
        if cache.get(note) is not None:
            cache.delete(note)
            self._audit_lock(request, credentials, AuditAction.SIGNIN_UNLOCKED)
