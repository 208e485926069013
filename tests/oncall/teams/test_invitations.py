"""Joining by invitation: sign-up is closed unless the request carries a valid invitation
(or SIGNUP_OPEN); a team manager invites an address with a role, the e-mail goes through
the outbox, and its link lets the person make an account (or use theirs) and join."""

import re
from datetime import timedelta
from types import SimpleNamespace

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.contrib.sessions.backends.db import SessionStore
from django.db import reset_queries
from django.test import RequestFactory, override_settings
from django.urls import reverse

from common.errors import AccessDenied
from oncall.teams.models import TeamInvitation, TeamMembership
from oncall.teams.outbox import prepare_invitation
from oncall.teams.selectors import invitation_token
from oncall.teams.services import INVITATION_PURPOSE, team_invitation_create
from oncall.teams.signup import INVITATION_SESSION_KEY
from oncall.teams.sso import SocialAccountAdapter
from outbox.models import Message, MessageStatus
from tests.oncall.factories import UserFactory, member_of

User = get_user_model()
PASSWORD = "a long enough pass phrase"
LINK = re.compile(r"http://[^\s]+/invitations/([^\s/]+)/")


def _invite(client, team, email="newbie@example.com", role="member"):
    return client.post(reverse("web:team-detail", args=[team.pk]), {"email": email, "role": role})


def _link_from(mail) -> str:
    match = LINK.search(mail.body)
    assert match, mail.body
    return reverse("web:invitation-accept", args=[match.group(1)])


@pytest.fixture
def invited(team, manager, client, committing, mailoutbox):
    """A manager invites newbie@example.com from the team page; returns the link's path
    (taken from the e-mail that went out)."""
    client.force_login(manager)
    with committing():
        response = _invite(client, team)
    assert response.status_code == 302
    client.logout()
    (mail,) = mailoutbox
    assert mail.to == ["newbie@example.com"]
    assert "Payments" in mail.subject
    return _link_from(mail)


def test_sign_up_is_closed_without_an_invitation(client, db):
    page = client.get("/accounts/signup/")
    assert "Sign Up Closed" in page.content.decode()
    assert "Ask your team manager for an invitation" in page.content.decode()
    client.post(
        "/accounts/signup/",
        {
            "email": "walkin@example.com",
            "username": "walkin",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )
    assert not User.objects.filter(username="walkin").exists()


def test_sign_in_page_points_to_invitations_not_sign_up(client, db):
    body = client.get("/accounts/login/").content.decode()
    assert "Ask your team manager for an invitation" in body
    assert 'href="/accounts/signup/' not in body


@override_settings(SIGNUP_OPEN=True)
def test_signup_open_setting_opens_sign_up(client, db):
    client.post(
        "/accounts/signup/",
        {
            "email": "walkin@example.com",
            "username": "walkin",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )
    assert User.objects.filter(username="walkin").exists()


def test_manager_invites_and_the_link_makes_an_account_in_the_team(client, invited, team):
    invitation = TeamInvitation.objects.get()
    assert (invitation.email, invitation.role, invitation.invited_by.username) == (
        "newbie@example.com",
        "member",
        "priya",
    )
    # The outbox holds the invitation's id, never the link.
    message = Message.objects.get(purpose=INVITATION_PURPOSE)
    assert message.payload == {"invitation_id": invitation.pk}
    assert invitation_token(invitation) not in str(message.payload)

    page = client.get(invited)
    assert page.status_code == 200
    assert "Join Payments" in page.content.decode()
    response = client.post(
        invited,
        {
            "username": "newbie",
            "first_name": "Nina",
            "last_name": "Newbie",
            "password": PASSWORD,
            "password_again": PASSWORD,
        },
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("web:team-detail", args=[team.pk])
    user = User.objects.get(username="newbie")
    assert user.email == "newbie@example.com" and user.check_password(PASSWORD)
    assert EmailAddress.objects.filter(user=user, email=user.email, verified=True).exists()
    assert TeamMembership.objects.get(user=user).team == team
    assert TeamMembership.objects.get(user=user).role == "member"
    invitation.refresh_from_db()
    assert invitation.accepted_by == user and invitation.accepted_at is not None
    # Signed in as the new person, who now sees the team's page.
    assert client.get(response["Location"]).status_code == 200


def test_the_link_opens_allauth_sign_up_too_and_joins(client, invited, team):
    client.get(invited)  # the session now carries the invitation
    assert client.session.get(INVITATION_SESSION_KEY)
    client.post(
        "/accounts/signup/",
        {
            "email": "newbie@example.com",
            "username": "newbie",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )
    user = User.objects.get(username="newbie")
    assert TeamMembership.objects.filter(user=user, team=team).exists()
    assert TeamInvitation.objects.get().accepted_by == user


def test_used_invitation_is_refused_with_a_clear_message(client, invited):
    client.post(
        invited,
        {"username": "newbie", "password": PASSWORD, "password_again": PASSWORD},
    )
    client.logout()
    page = client.get(invited)
    assert page.status_code == 410
    assert "already been used" in page.content.decode()
    response = client.post(
        invited, {"username": "second", "password": PASSWORD, "password_again": PASSWORD}
    )
    assert response.status_code == 410
    assert not User.objects.filter(username="second").exists()


def test_expired_invitation_is_refused(client, invited, time_machine):
    time_machine.move_to(TeamInvitation.objects.get().expires_at + timedelta(seconds=1))
    page = client.get(invited)
    assert page.status_code == 410
    assert "has expired" in page.content.decode()
    client.post(invited, {"username": "late", "password": PASSWORD, "password_again": PASSWORD})
    assert not User.objects.filter(username="late").exists()


def test_withdrawn_invitation_is_refused_and_its_email_not_sent(client, team, manager, mailoutbox):
    client.force_login(manager)
    _invite(client, team)  # no commit: the e-mail is still queued
    invitation = TeamInvitation.objects.get()
    link = reverse("web:invitation-accept", args=[invitation_token(invitation)])
    response = client.post(
        reverse("web:team-invitation-revoke", args=[team.pk, invitation.pk]), follow=True
    )
    assert "withdrawn" in response.content.decode()
    message = Message.objects.get(purpose=INVITATION_PURPOSE)
    assert message.status == MessageStatus.CANCELLED
    assert prepare_invitation(message) is None
    client.logout()
    page = client.get(link)
    assert page.status_code == 410
    assert "withdrawn" in page.content.decode()


def test_inviting_again_renews_the_link_and_the_old_one_stops_working(client, team, manager):
    client.force_login(manager)
    _invite(client, team)
    first = invitation_token(TeamInvitation.objects.get())
    _invite(client, team, role="manager")
    invitation = TeamInvitation.objects.get()  # still one open invitation
    assert invitation.role == "manager"
    assert Message.objects.filter(purpose=INVITATION_PURPOSE).count() == 2
    old, new = Message.objects.filter(purpose=INVITATION_PURPOSE).order_by("pk")
    assert prepare_invitation(old) is None  # the stale link is not sent
    assert invitation_token(invitation) in prepare_invitation(new)["text"]
    client.logout()
    assert client.get(reverse("web:invitation-accept", args=[first])).status_code == 404
    second = reverse("web:invitation-accept", args=[invitation_token(invitation)])
    assert client.get(second).status_code == 200


@pytest.mark.parametrize("token", ["nonsense", "1.abc.def", "999999.x.y"])
def test_a_link_that_is_not_ours_is_refused(client, db, token):
    page = client.get(reverse("web:invitation-accept", args=[token]))
    assert page.status_code == 404
    assert "not valid" in page.content.decode()


def test_a_tampered_link_is_refused(client, team, manager):
    client.force_login(manager)
    _invite(client, team)
    client.logout()
    invitation = TeamInvitation.objects.get()
    token = invitation_token(invitation)
    other_id = token.replace(f"{invitation.pk}.", f"{invitation.pk + 1}.", 1)
    assert client.get(reverse("web:invitation-accept", args=[other_id])).status_code == 404


def test_signed_in_person_joins_with_their_own_account(client, team, manager, other_team):
    client.force_login(manager)
    _invite(client, team, email="olivia@example.com", role="manager")
    link = reverse("web:invitation-accept", args=[invitation_token(TeamInvitation.objects.get())])
    olivia = member_of(other_team, "olivia")
    client.force_login(olivia)
    assert "Join Payments" in client.get(link).content.decode()
    response = client.post(link)
    assert response.status_code == 302
    assert TeamMembership.objects.get(user=olivia, team=team).role == "manager"
    assert User.objects.filter(email="olivia@example.com").count() == 1


def test_an_address_with_an_account_is_told_to_sign_in(client, team, manager):
    UserFactory(username="existing", email="newbie@example.com")
    client.force_login(manager)
    _invite(client, team)
    client.logout()
    link = reverse("web:invitation-accept", args=[invitation_token(TeamInvitation.objects.get())])
    assert "sign in with it to accept" in client.get(link).content.decode()
    response = client.post(
        link, {"username": "another", "password": PASSWORD, "password_again": PASSWORD}
    )
    assert response.status_code == 400
    assert "already an account" in response.content.decode()
    assert not User.objects.filter(username="another").exists()


def test_new_account_form_errors_are_shown(client, invited, member):
    response = client.post(
        invited, {"username": "marco", "password": "123", "password_again": "1234"}
    )
    body = response.content.decode()
    assert response.status_code == 400
    assert "not the same" in body
    response = client.post(
        invited, {"username": "Marco", "password": "12345678", "password_again": "12345678"}
    )
    body = response.content.decode()
    assert "username is taken" in body
    assert "entirely numeric" in body
    assert not TeamInvitation.objects.get().accepted_at


def test_a_member_cannot_invite(client, team, member):
    client.force_login(member)
    page = client.get(reverse("web:team-detail", args=[team.pk]))
    assert page.status_code == 200
    assert "Send invitation" not in page.content.decode()
    response = _invite(client, team)
    assert response.status_code == 302
    assert not TeamInvitation.objects.exists()
    with pytest.raises(AccessDenied):
        team_invitation_create(actor=member, team=team, email="x@example.com")


def test_a_member_cannot_withdraw(client, team, manager, member):
    client.force_login(manager)
    _invite(client, team)
    invitation = TeamInvitation.objects.get()
    client.force_login(member)
    client.post(reverse("web:team-invitation-revoke", args=[team.pk, invitation.pk]))
    invitation.refresh_from_db()
    assert invitation.revoked_at is None


def test_an_outsider_cannot_see_another_teams_invitations(client, team, manager, outsider):
    client.force_login(manager)
    _invite(client, team, email="secret@example.com")
    invitation = TeamInvitation.objects.get()
    client.force_login(outsider)  # a manager, of another team
    page = client.get(reverse("web:team-detail", args=[team.pk]))
    assert page.status_code == 404
    assert "secret@example.com" not in page.content.decode()
    assert _invite(client, team).status_code == 404
    response = client.post(reverse("web:team-invitation-revoke", args=[team.pk, invitation.pk]))
    assert response.status_code == 404
    invitation.refresh_from_db()
    assert invitation.revoked_at is None
    # Nor through their own team's page.
    other = outsider.team_memberships.get().team
    revoke_via_own = reverse("web:team-invitation-revoke", args=[other.pk, invitation.pk])
    assert client.post(revoke_via_own).status_code == 404


def test_manager_sees_pending_invitations_and_bad_input_is_explained(client, team, manager):
    client.force_login(manager)
    _invite(client, team, email="Pending@Example.com")
    body = client.get(reverse("web:team-detail", args=[team.pk])).content.decode()
    assert "pending@example.com" in body and "Withdraw" in body
    response = _invite(client, team, email="not an address")
    assert response.status_code == 400
    assert "valid email address" in response.content.decode()
    response = _invite(client, team, email="marco@example.com", role="owner")
    assert response.status_code == 400
    member_of(team, "marco")
    response = _invite(client, team, email="marco@example.com")
    assert "already a member" in response.content.decode()


def test_team_page_queries_do_not_grow_with_people(
    client, team, manager, django_assert_max_num_queries
):
    client.force_login(manager)
    url = reverse("web:team-detail", args=[team.pk])
    # Each request empties the query log (request_started): start both counts from empty.
    reset_queries()
    with django_assert_max_num_queries(30) as few:
        assert client.get(url).status_code == 200
    first = len(few.captured_queries)
    assert first > 3
    for n in range(5):
        member_of(team, f"extra{n}")
        _invite(client, team, email=f"guest{n}@example.com")
    reset_queries()
    with django_assert_max_num_queries(first):
        assert "guest4@example.com" in client.get(url).content.decode()


def _sso_request(session_token=None):
    request = RequestFactory().get("/")
    request.session = SessionStore()
    if session_token:
        request.session[INVITATION_SESSION_KEY] = session_token
    return request


@override_settings(SSO_ALLOWED_EMAIL_DOMAINS=["example.com"])
def test_sso_sign_up_keeps_its_domain_rule_and_an_invitation_opens_it(team, manager):
    adapter = SocialAccountAdapter()

    def login(email):
        return SimpleNamespace(user=SimpleNamespace(email=email))

    assert adapter.is_open_for_signup(_sso_request(), login("ana@example.com"))
    assert not adapter.is_open_for_signup(_sso_request(), login("eve@evil.test"))
    invitation = team_invitation_create(actor=manager, team=team, email="eve@evil.test")
    request = _sso_request(invitation_token(invitation))
    assert adapter.is_open_for_signup(request, login("eve@evil.test"))
