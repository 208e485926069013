"""Writes for API tokens: create, rotate, revoke (and revoking a person's legacy token),
and checking a token a request presents. Each change is an audit row in the same
transaction. The secret is returned once, by create and rotate, and never stored."""

import hmac
import secrets
import string
from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User as AuthUser
from django.core.cache import cache
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone
from rest_framework.authtoken.models import Token as LegacyToken

from common.errors import AccessDenied, Conflict, DomainError, InvalidInput
from oncall.audit.addresses import client_address
from oncall.audit.models import AuditAction
from oncall.audit.services import audit_record
from oncall.teams.models import Team, TeamRole
from oncall.teams.selectors import team_is_manager, team_list_managed
from oncall.teams.services import team_member_add, team_member_remove, team_require_manager
from oncall.tokens.models import (
    PREFIX_LENGTH,
    SCOPE_RANK,
    TOKEN_MARK,
    ApiToken,
    TokenScope,
    token_digest,
)

MAX_LIFETIME_DAYS = 366
LIFETIME_CHOICES_DAYS = (7, 30, 90, 365)
# last_used_at is written at most this often per token: no write per request.
LAST_USED_RESOLUTION = timedelta(minutes=1)
# A revoked or expired token that keeps being tried is one audit row a minute, not one
# per request.
REFUSAL_AUDIT_EVERY_SECONDS = 60
_PREFIX_ALPHABET = string.ascii_lowercase + string.digits


class TokenRefused(DomainError):
    """The token is known but may not be used (revoked, expired, its account gone)."""

    status_code = 401
    default_detail = "This API token cannot be used."


class TokenInvalid(DomainError):
    status_code = 401
    default_detail = "Invalid API token."


def _new_prefix() -> str:
    while True:
        prefix = "".join(secrets.choice(_PREFIX_ALPHABET) for _ in range(PREFIX_LENGTH))
        if not ApiToken.objects.filter(prefix=prefix).exists():
            return prefix


def _new_secret(prefix: str) -> str:
    return f"{TOKEN_MARK}{prefix}_{secrets.token_urlsafe(32)}"


def token_prefix_of(raw: str) -> str | None:
    """The public prefix of a token in our format, or None (a legacy token, or garbage)."""
    if not isinstance(raw, str) or not raw.startswith(TOKEN_MARK) or len(raw) > 200:
        return None
    prefix, sep, secret = raw[len(TOKEN_MARK) :].partition("_")
    if not sep or len(prefix) != PREFIX_LENGTH or not secret:
        return None
    return prefix


def _audit_team(token: ApiToken) -> int | None:
    return token.team_id


def _clean(name: str, scope: str, expires_in_days: Any) -> tuple[str, str, int]:
    errors: dict[str, list[str]] = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = ["Give the token a name (what uses it)."]
    elif len(name) > 100:
        errors["name"] = ["At most 100 characters."]
    if scope not in TokenScope.values:
        errors["scope"] = [f"Choose one of {', '.join(TokenScope.values)}."]
    try:
        days = int(expires_in_days)
    except (TypeError, ValueError):
        days = 0
    if not 1 <= days <= MAX_LIFETIME_DAYS:
        errors["expires_in_days"] = [f"A whole number of days from 1 to {MAX_LIFETIME_DAYS}."]
    if errors:
        raise InvalidInput(next(iter(errors.values()))[0], errors=errors)
    return name, scope, days


def _service_user_make(*, actor: AuthUser, team: Team, prefix: str, name: str, scope: str):
    user_model = get_user_model()
    user = user_model(
        username=f"svc-{team.slug}-{prefix}"[:150],
        first_name=name[:150],
        last_name="(API token)",
        is_active=True,
    )
    user.set_unusable_password()
    user.save()
    role = TeamRole.MANAGER if scope == TokenScope.INTEGRATIONS else TeamRole.MEMBER
    team_member_add(actor=actor, team=team, user_id=user.pk, role=role)
    # Not a person: inactive, so nothing that reaches people (paging the whole team,
    # pickers, the managers an invitation names, reports) counts it; only its token
    # authenticates as it (token_authenticate).
    user.is_active = False
    user.save(update_fields=["is_active"])
    return user


@transaction.atomic
def token_create(
    *,
    actor: AuthUser,
    name: str,
    scope: str,
    expires_in_days: Any,
    team: Team | None = None,
    request: HttpRequest | None = None,
    presented_scope: str | None = None,
) -> tuple[ApiToken, str]:
    """A new token for ``actor`` (or, with ``team``, for the team: its managers only).
    Returns the row and the secret, which is never shown again. ``presented_scope`` is the
    scope of the token the request itself came with: a token cannot mint a wider one."""
    name, scope, days = _clean(name, scope, expires_in_days)
    if presented_scope is not None and SCOPE_RANK[scope] > SCOPE_RANK[presented_scope]:
        raise AccessDenied(
            f"A token with the {presented_scope} scope cannot create one with the {scope} scope."
        )
    if team is not None:
        team_require_manager(actor=actor, team=team, to="manage its API tokens")
    elif scope == TokenScope.INTEGRATIONS and not team_list_managed(user=actor).exists():
        raise AccessDenied(
            "Only team managers (or staff) can have a token that manages integrations.",
            errors={"scope": ["Choose read or write."]},
        )
    prefix = _new_prefix()
    raw = _new_secret(prefix)
    token = ApiToken(
        owner=None if team is not None else actor,
        team=team,
        name=name,
        prefix=prefix,
        secret_hash=token_digest(raw),
        scope=scope,
        created_by=actor,
        expires_at=timezone.now() + timedelta(days=days),
    )
    if team is not None:
        token.service_user = _service_user_make(
            actor=actor, team=team, prefix=prefix, name=name, scope=scope
        )
    token.save()
    audit_record(
        action=AuditAction.TOKEN_CREATED,
        actor=actor,
        request=request,
        team=_audit_team(token),
        target=token,
        details={"scope": scope, "expires_at": token.expires_at.isoformat()},
    )
    return token, raw


def token_require_manageable(*, actor: AuthUser, token: ApiToken) -> None:
    """A person manages their own tokens; a team's managers its tokens; staff any token
    (to revoke a leaked one)."""
    if actor.is_staff:
        return
    if token.team is not None:
        if not team_is_manager(user=actor, team=token.team):
            raise AccessDenied(
                f"Only managers of team {token.team.name} (or staff) can change its tokens."
            )
    elif token.owner_id != actor.pk:
        raise AccessDenied("This is not your token.")


def _locked(token: ApiToken) -> ApiToken:
    return (
        ApiToken.objects.select_for_update(of=("self",))
        .select_related("team", "owner", "service_user")
        .get(pk=token.pk)
    )


def _revoke(locked: ApiToken, actor: AuthUser, now) -> None:
    locked.revoked_at = now
    locked.revoked_by = actor
    locked.save(update_fields=["revoked_at", "revoked_by"])


@transaction.atomic
def token_rotate(
    *, actor: AuthUser, token: ApiToken, request: HttpRequest | None = None
) -> tuple[ApiToken, str]:
    """Replace the token by a new one with the same name, scope, owner and lifetime; the
    old one stops working at once (no grace period: rotation is what one does after a
    leak)."""
    locked = _locked(token)
    token_require_manageable(actor=actor, token=locked)
    now = timezone.now()
    if locked.revoked_at is not None:
        raise Conflict("This token is revoked already; create a new one instead.")
    lifetime = max(locked.expires_at - locked.created_at, timedelta(days=1))
    lifetime = min(lifetime, timedelta(days=MAX_LIFETIME_DAYS))
    service_user = locked.service_user
    prefix = _new_prefix()
    raw = _new_secret(prefix)
    _revoke(locked, actor, now)
    if service_user is not None:
        locked.service_user = None
        locked.save(update_fields=["service_user"])
    new = ApiToken.objects.create(
        owner=locked.owner,
        team=locked.team,
        service_user=service_user,
        name=locked.name,
        prefix=prefix,
        secret_hash=token_digest(raw),
        scope=locked.scope,
        created_by=actor,
        created_at=now,
        expires_at=now + lifetime,
    )
    locked.replaced_by = new
    locked.save(update_fields=["replaced_by"])
    audit_record(
        action=AuditAction.TOKEN_ROTATED,
        actor=actor,
        request=request,
        team=_audit_team(locked),
        target=locked,
        details={"replaced_by": new.display_prefix, "expires_at": new.expires_at.isoformat()},
    )
    return new, raw


@transaction.atomic
def token_revoke(
    *, actor: AuthUser, token: ApiToken, request: HttpRequest | None = None
) -> ApiToken:
    """The token stops working at once; a team token's service account leaves the team."""
    locked = _locked(token)
    token_require_manageable(actor=actor, token=locked)
    if locked.revoked_at is not None:
        return locked
    _revoke(locked, actor, timezone.now())
    service_user = locked.service_user
    if service_user is not None and locked.team is not None:
        team_member_remove(actor=actor, team=locked.team, user_id=service_user.pk)
    audit_record(
        action=AuditAction.TOKEN_REVOKED,
        actor=actor,
        request=request,
        team=_audit_team(locked),
        target=locked,
    )
    return locked


@transaction.atomic
def legacy_token_revoke(*, actor: AuthUser, request: HttpRequest | None = None) -> bool:
    """Delete the person's old single API token (``Authorization: Token <key>``); False
    when they had none."""
    legacy = LegacyToken.objects.select_for_update().filter(user=actor).first()
    if legacy is None:
        return False
    hint = legacy.key[:6]
    legacy.delete()
    audit_record(
        action=AuditAction.LEGACY_TOKEN_REVOKED,
        actor=actor,
        request=request,
        target_type="authtoken.token",
        target_id=hint,
        target_label=f"Legacy token {hint}…",
    )
    return True


def _refusal_audit(token: ApiToken, request: HttpRequest | None, reason: str) -> None:
    if cache.add(f"tokens:refused:{token.pk}", 1, REFUSAL_AUDIT_EVERY_SECONDS):
        audit_record(
            action=AuditAction.TOKEN_REFUSED,
            actor=token.owner or token.service_user,
            request=request,
            team=_audit_team(token),
            target=token,
            details={"reason": reason},
        )


def token_authenticate(*, raw: str, request: HttpRequest | None = None):
    """The account and token behind ``raw``, or TokenInvalid / TokenRefused (a 401).
    A use is noted in ``last_used_at`` at most once a minute."""
    prefix = token_prefix_of(raw)
    token = (
        ApiToken.objects.select_related("owner", "service_user").filter(prefix=prefix).first()
        if prefix
        else None
    )
    if token is None or not hmac.compare_digest(token.secret_hash, token_digest(raw)):
        raise TokenInvalid()
    now = timezone.now()
    if token.revoked_at is not None:
        _refusal_audit(token, request, "revoked")
        replaced = " It was replaced by a newer token." if token.replaced_by_id else ""
        raise TokenRefused(
            f"This API token was revoked at {token.revoked_at:%Y-%m-%d %H:%M} UTC.{replaced}"
        )
    if token.expires_at <= now:
        _refusal_audit(token, request, "expired")
        raise TokenRefused(
            f"This API token expired at {token.expires_at:%Y-%m-%d %H:%M} UTC. "
            "Create a new one (Profile, API tokens)."
        )
    user = token.owner
    if user is not None:
        if not user.is_active:
            raise TokenRefused("The account of this API token is deactivated.")
    else:
        # A team token's service account is inactive on purpose (see _service_user_make).
        user = token.service_user
        if user is None:
            raise TokenRefused("This team token has no service account any more.")
    if token.last_used_at is None or token.last_used_at <= now - LAST_USED_RESOLUTION:
        address = client_address(request)
        ApiToken.objects.filter(pk=token.pk).filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lte=now - LAST_USED_RESOLUTION)
        ).update(last_used_at=now, last_used_address=address)
        token.last_used_at, token.last_used_address = now, address
    return user, token
