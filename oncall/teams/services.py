"""Writes for teams and memberships, and the invitations that bring people in.

Invitations: a manager of the team (or staff) invites an address with a role; the e-mail
goes through the outbox (purpose ``team.invitation``, rendered right before the send by
``oncall.teams.outbox``, so the link is never stored with the message). The link works
for 7 days; inviting the same address again renews it (a new link, the old one stops
working); a manager can withdraw it. Accepting joins the team with the role, signed in
with an existing account or with one made on the spot for the invited address.
"""

import hashlib
import secrets

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User as AuthUser
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.text import slugify

from common.errors import AccessDenied, Conflict, InvalidInput, NotFound
from common.history import attribute_history
from oncall.audit.models import AuditAction
from oncall.audit.services import audit_record
from oncall.teams.models import (
    INVITATION_LIFETIME,
    InvitationState,
    Team,
    TeamInvitation,
    TeamMembership,
    TeamRole,
)
from oncall.teams.selectors import invitation_from_token, team_is_manager, team_is_member
from outbox.models import Transport
from outbox.services import message_enqueue, messages_cancel

INVITATION_PURPOSE = "team.invitation"
ROLE_RANK: dict[str, int] = {TeamRole.MEMBER: 0, TeamRole.MANAGER: 1}


def _derive_key(name: str) -> str:
    letters = "".join(ch for ch in name.upper() if ch.isalnum())
    return (letters[:3] or "TM").ljust(2, "X")


@transaction.atomic
def team_create(
    *, actor: AuthUser, name: str, slug: str = "", key: str = "", description: str = ""
) -> Team:
    if not actor.is_staff:
        raise AccessDenied("Only staff can create teams.")
    name = name.strip()
    if not name:
        raise InvalidInput("A team needs a name.", errors={"name": ["This field is required."]})
    slug = slug or slugify(name)
    key = (key or _derive_key(name)).upper()
    team = Team(name=name, slug=slug, key=key, description=description)
    if Team.objects.filter(Q(name__iexact=name) | Q(slug=slug) | Q(key=key)).exists():
        raise Conflict("A team with this name, slug or key already exists.")
    team.full_clean(validate_unique=False)
    try:
        with transaction.atomic():
            attribute_history(team, actor).save()
    except IntegrityError:
        raise Conflict("A team with this name, slug or key already exists.") from None
    return team


@transaction.atomic
def team_member_add(
    *, actor: AuthUser, team: Team, user_id: int, role: str = TeamRole.MEMBER
) -> TeamMembership:
    team_require_manager(actor=actor, team=team, to="add members")
    if role not in TeamRole.values:
        raise InvalidInput(
            f"Unknown role {role!r}.",
            errors={"role": [f"Choose one of {', '.join(TeamRole.values)}."]},
        )
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        raise InvalidInput("No such active user.", errors={"user": ["No such active user."]})
    membership = TeamMembership.objects.select_for_update().filter(team=team, user=user).first()
    if membership is None:
        membership = TeamMembership(team=team, user=user, role=role)
        attribute_history(membership, actor).save()
        _audit_membership(AuditAction.MEMBER_ADDED, actor, membership, {"role": role})
    elif membership.role != role:
        old_role, membership.role = membership.role, role
        attribute_history(membership, actor).save(update_fields=["role"])
        _audit_membership(
            AuditAction.MEMBER_ROLE_CHANGED, actor, membership, {"old": old_role, "new": role}
        )
    return membership


def _audit_membership(action: str, actor, membership: TeamMembership, details: dict) -> None:
    audit_record(
        action=action,
        actor=actor,
        team=membership.team_id,
        target=membership.user,
        target_label=f"{membership.user.get_username()} in {membership.team.name}",
        details=details,
    )


@transaction.atomic
def team_member_remove(*, actor: AuthUser, team: Team, user_id: int) -> None:
    team_require_manager(actor=actor, team=team, to="remove members")
    membership = (
        TeamMembership.objects.select_for_update().filter(team=team, user_id=user_id).first()
    )
    if membership is None:
        raise NotFound("That user is not a member of this team.")
    if membership.role == TeamRole.MANAGER:
        other_managers = team.memberships.filter(role=TeamRole.MANAGER).exclude(pk=membership.pk)
        if not other_managers.exists() and not actor.is_staff:
            raise Conflict("A team keeps at least one manager; promote someone else first.")
    _audit_membership(AuditAction.MEMBER_REMOVED, actor, membership, {"role": membership.role})
    attribute_history(membership, actor).delete()


def team_require_member(*, actor: AuthUser | None, team: Team) -> None:
    """The one membership guard of every service. ``actor`` None is the system itself (an
    alert, a beat task), which may act on any team."""
    if actor is not None and not team_is_member(user=actor, team=team):
        raise AccessDenied(f"You are not a member of team {team.name}.")


def team_require_manager(*, actor: AuthUser | None, team: Team, to: str) -> None:
    """The one manager guard (managers of the team, or staff): ``to`` says what needs
    it, for the message. ``actor`` None is the system itself."""
    if actor is not None and not team_is_manager(user=actor, team=team):
        raise AccessDenied(f"Only managers of team {team.name} (or staff) can {to}.")


# --- invitations -------------------------------------------------------------------------

INVALID_LINK = (
    "This invitation link is not valid. Check that you opened the whole link from the "
    "e-mail (a newer invitation replaces an older one), or ask your team manager for a new "
    "invitation."
)
REFUSALS: dict[str, str] = {
    InvitationState.ACCEPTED: "This invitation has already been used. If it was you, sign in.",
    InvitationState.REVOKED: (
        "This invitation was withdrawn by the team's managers. Ask your team manager if you "
        "should still join."
    ),
    InvitationState.EXPIRED: (
        "This invitation has expired (invitations work for 7 days). Ask your team manager "
        "to send a new one."
    ),
}


class InvitationRefused(Conflict):
    """The link is ours but the invitation can no longer be accepted: ``state`` says why."""

    def __init__(self, state: str) -> None:
        super().__init__(REFUSALS[state])
        self.state = state


def invitation_group(invitation: TeamInvitation) -> str:
    return f"{INVITATION_PURPOSE}:{invitation.pk}"


def invitation_link_id(invitation: TeamInvitation) -> str:
    """Names one link of the invitation (its nonce, hashed) in the outbox key: a renewed
    invitation is a new message, the same link is never sent twice."""
    return hashlib.sha256(invitation.nonce.encode()).hexdigest()[:16]


def _invitation_enqueue(invitation: TeamInvitation) -> None:
    link_id = invitation_link_id(invitation)
    recipient = (
        get_user_model()
        .objects.filter(email__iexact=invitation.email, is_active=True)
        .order_by("pk")
        .first()
    )
    message_enqueue(
        key=f"{INVITATION_PURPOSE}:{invitation.pk}:{link_id}",
        purpose=INVITATION_PURPOSE,
        transport=Transport.EMAIL,
        address=invitation.email,
        # The id only: the link is made from the nonce and SECRET_KEY right before the send.
        payload={"invitation_id": invitation.pk},
        recipient=recipient,
        group=invitation_group(invitation),
    )


def _normalised_email(email: str) -> str:
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise InvalidInput(
            "Enter a valid e-mail address.",
            errors={"email": ["Enter a valid e-mail address, such as ana@example.com."]},
        ) from None
    return email


@transaction.atomic
def team_invitation_create(
    *, actor: AuthUser, team: Team, email: str, role: str = TeamRole.MEMBER
) -> TeamInvitation:
    """Invite ``email`` to ``team`` with ``role`` and send the e-mail (after the commit).
    An open invitation to the same address is renewed: new link, new 7 days, new role."""
    team_require_manager(actor=actor, team=team, to="invite people")
    email = _normalised_email(email)
    if role not in TeamRole.values:
        raise InvalidInput("Unknown role.", errors={"role": ["Choose Member or Manager."]})
    if TeamMembership.objects.filter(team=team, user__email__iexact=email).exists():
        raise Conflict(f"Someone with the address {email} is already a member of {team.name}.")
    now = timezone.now()
    invitation = (
        TeamInvitation.objects.select_for_update()
        .filter(team=team, email=email, accepted_at__isnull=True, revoked_at__isnull=True)
        .first()
    )
    if invitation is None:
        invitation = TeamInvitation(team=team, email=email)
    invitation.role = role
    invitation.invited_by = actor
    invitation.nonce = secrets.token_urlsafe(24)
    invitation.sent_at = now
    invitation.expires_at = now + INVITATION_LIFETIME
    try:
        with transaction.atomic():
            attribute_history(invitation, actor).save()
    except IntegrityError:  # a concurrent invitation of the same address
        raise Conflict(f"{email} was invited a moment ago; reload the page.") from None
    _invitation_enqueue(invitation)
    return invitation


@transaction.atomic
def team_invitation_revoke(*, actor: AuthUser, invitation: TeamInvitation) -> TeamInvitation:
    """Withdraw an invitation: its link stops working and an e-mail not yet sent is not."""
    locked = TeamInvitation.objects.select_for_update().select_related("team").get(pk=invitation.pk)
    team_require_manager(actor=actor, team=locked.team, to="withdraw invitations")
    if locked.accepted_at is not None:
        raise Conflict(f"{locked.email} has already accepted this invitation.")
    if locked.revoked_at is None:
        locked.revoked_at = timezone.now()
        attribute_history(locked, actor).save(update_fields=["revoked_at"])
        messages_cancel(group=invitation_group(locked), purpose=INVITATION_PURPOSE)
    return locked


def _open_invitation_locked(token: str) -> TeamInvitation:
    """The invitation behind ``token``, locked, if it can still be accepted; otherwise the
    refusal that says why."""
    found = invitation_from_token(token)
    if found is None:
        raise NotFound(INVALID_LINK)
    invitation = TeamInvitation.objects.select_for_update().select_related("team").get(pk=found.pk)
    state = invitation.state_at(timezone.now())
    if state != InvitationState.PENDING:
        raise InvitationRefused(state)
    return invitation


def _join(invitation: TeamInvitation, user: AuthUser) -> TeamMembership:
    """Join the invitation's team (a member already keeps the higher of the two roles) and
    mark the invitation used."""
    membership = (
        TeamMembership.objects.select_for_update().filter(team=invitation.team, user=user).first()
    )
    if membership is None:
        membership = TeamMembership(team=invitation.team, user=user, role=invitation.role)
        attribute_history(membership, user).save()
        _audit_membership(
            AuditAction.MEMBER_ADDED,
            user,
            membership,
            {"role": invitation.role, "invitation": invitation.pk},
        )
    elif ROLE_RANK[invitation.role] > ROLE_RANK[membership.role]:
        old_role, membership.role = membership.role, invitation.role
        attribute_history(membership, user).save(update_fields=["role"])
        _audit_membership(
            AuditAction.MEMBER_ROLE_CHANGED,
            user,
            membership,
            {"old": old_role, "new": invitation.role, "invitation": invitation.pk},
        )
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    attribute_history(invitation, user).save(update_fields=["accepted_at", "accepted_by"])
    return membership


@transaction.atomic
def team_invitation_accept(*, user: AuthUser, token: str) -> TeamMembership:
    """The signed-in ``user`` accepts the invitation behind ``token`` (whoever holds the
    link may: it went to the invited address)."""
    return _join(_open_invitation_locked(token), user)


@transaction.atomic
def team_invitation_accept_with_new_account(
    *, token: str, username: str, password: str, first_name: str = "", last_name: str = ""
) -> TeamMembership:
    """Make an account for the invited address (verified: the link came to it) with
    ``username`` and ``password``, and join the team with it."""
    invitation = _open_invitation_locked(token)
    user_model = get_user_model()
    if user_model.objects.filter(email__iexact=invitation.email).exists():
        raise Conflict(
            f"There is already an account for {invitation.email}. "
            "Sign in with it to accept the invitation."
        )
    username = (username or "").strip()
    errors: dict[str, list[str]] = {}
    if not username:
        errors["username"] = ["Choose a username."]
    else:
        try:
            user_model.username_validator(username)
        except ValidationError as error:
            errors["username"] = list(error.messages)
        if len(username) > 150:
            errors["username"] = ["At most 150 characters."]
        elif user_model.objects.filter(username__iexact=username).exists():
            errors["username"] = ["This username is taken; choose another."]
    candidate = user_model(
        username=username, email=invitation.email, first_name=first_name, last_name=last_name
    )
    try:
        validate_password(password or "", user=candidate)
    except ValidationError as error:
        errors["password"] = list(error.messages)
    if errors:
        raise InvalidInput("The account could not be made.", errors=errors)
    try:
        with transaction.atomic():
            user = user_model.objects.create_user(
                username=username,
                email=invitation.email,
                password=password,
                first_name=first_name.strip()[:150],
                last_name=last_name.strip()[:150],
            )
    except IntegrityError:  # the same username chosen a moment ago
        raise InvalidInput(
            "The account could not be made.",
            errors={"username": ["This username is taken; choose another."]},
        ) from None
    EmailAddress.objects.create(user=user, email=invitation.email, primary=True, verified=True)
    return _join(invitation, user)
