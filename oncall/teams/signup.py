"""Who may make an account. Sign-up is closed unless ``SIGNUP_OPEN`` is set: people join
by invitation (``web:invitation-accept``) or through SSO for the allowed e-mail domains
(``oncall.teams.sso``). A person who opened a valid invitation link carries it in their
session, which opens the sign-up forms (local and SSO) to them."""

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone

from oncall.teams.models import InvitationState, TeamInvitation
from oncall.teams.selectors import invitation_from_token

INVITATION_SESSION_KEY = "tocsin_invitation_token"


def invitation_remember(request: HttpRequest, token: str) -> None:
    request.session[INVITATION_SESSION_KEY] = token


def invitation_forget(request: HttpRequest) -> None:
    request.session.pop(INVITATION_SESSION_KEY, None)


def invitation_token_of(request: HttpRequest) -> str | None:
    session = getattr(request, "session", None)
    return session.get(INVITATION_SESSION_KEY) if session is not None else None


def invitation_of(request: HttpRequest) -> TeamInvitation | None:
    """The invitation the request carries, if it can still be accepted."""
    token = invitation_token_of(request)
    if not token:
        return None
    invitation = invitation_from_token(token)
    if invitation is None or invitation.state_at(timezone.now()) != InvitationState.PENDING:
        return None
    return invitation


def signup_open(request: HttpRequest) -> bool:
    """Local sign-up: open to all only with ``SIGNUP_OPEN``, else to invited people."""
    return bool(settings.SIGNUP_OPEN) or invitation_of(request) is not None
