"""What the outbox asks of the teams room: the invitation e-mails that
``team_invitation_create`` queues. ``register()`` is called once at start-up.

The message carries only the invitation's id; right before the send it is rendered from
the invitation as it is then, so the link (a bearer secret) is never stored in the
outbox, and an invitation withdrawn, accepted, renewed or expired meanwhile is not sent.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from oncall.teams.models import InvitationState, TeamInvitation
from oncall.teams.selectors import invitation_token
from oncall.teams.services import INVITATION_PURPOSE, invitation_link_id
from outbox.models import Message
from outbox.purposes import Purpose, purpose_register


def invitation_link(invitation: TeamInvitation) -> str:
    return settings.SITE_URL + reverse("web:invitation-accept", args=[invitation_token(invitation)])


def invitation_email(invitation: TeamInvitation) -> dict[str, Any]:
    """Subject and text of the invitation e-mail (plain words, no time formatted: the
    reader's zone is not known)."""
    inviter = invitation.invited_by
    who = (inviter.get_full_name() or inviter.get_username()) if inviter else "A team manager"
    role = "a manager" if invitation.role == "manager" else "a member"
    text = (
        f"{who} invites you to join the team {invitation.team.name} on Tocsin, "
        f"the incident and on-call app, as {role}.\n\n"
        f"Accept the invitation here (the link works for 7 days):\n"
        f"{invitation_link(invitation)}\n\n"
        "You can make an account with this address there, or sign in with the account "
        "you already have.\n\n"
        "If you did not expect this, ignore this e-mail: nothing happens unless you open "
        "the link.\n"
    )
    return {"subject": f"Join {invitation.team.name} on Tocsin", "text": text}


def prepare_invitation(message: Message) -> dict[str, Any] | None:
    invitation_id = (message.payload or {}).get("invitation_id")
    if invitation_id is None:
        return None
    invitation = (
        TeamInvitation.objects.select_related("team", "invited_by").filter(pk=invitation_id).first()
    )
    if invitation is None or invitation.email != message.address:
        return None
    if invitation.state_at(timezone.now()) != InvitationState.PENDING:
        return None
    # A renewed invitation has a new link and its own message: this one is stale.
    if not message.key.endswith(":" + invitation_link_id(invitation)):
        return None
    return invitation_email(invitation)


def register() -> None:
    purpose_register(Purpose(INVITATION_PURPOSE, prepare=prepare_invitation))
