"""django-allauth's account adapter (``ACCOUNT_ADAPTER``): sign-up closed unless the
request carries an invitation (or ``SIGNUP_OPEN``), the invitation accepted by an account
made through allauth's own sign-up form, and the time-zone proposal added to the first
page after each sign-in of a person who never chose a zone."""

from allauth.account.adapter import DefaultAccountAdapter
from django.contrib import messages
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from common.errors import DomainError
from oncall.contacts.models import OnCallPreference
from oncall.teams.services import team_invitation_accept
from oncall.teams.signup import (
    invitation_forget,
    invitation_of,
    invitation_token_of,
    signup_open,
)

TIME_ZONE_PROPOSAL_TAG = "time-zone-proposal"


def time_zone_proposal_add(request, user) -> None:
    """A banner on the next page: "Your browser says Europe/Berlin — use it?" (filled in by
    static/js/timezone.js; without JavaScript it offers to keep the zone or open the
    profile). Only for a person who never chose their zone."""
    preference = (
        OnCallPreference.objects.filter(user=user)
        .values_list("time_zone", "time_zone_confirmed_at")
        .first()
    )
    zone, confirmed_at = preference or ("UTC", None)
    if confirmed_at is not None:
        return
    html = render_to_string(
        "people/_time_zone_banner.html", {"current_zone": zone}, request=request
    )
    # The banner is a form (with its CSRF token): the messages framework keeps it safe.
    messages.info(request, mark_safe(html), extra_tags=TIME_ZONE_PROPOSAL_TAG)  # noqa: S308


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request) -> bool:
        return signup_open(request)

    def save_user(self, request, user, form, commit=True):
        user = super().save_user(request, user, form, commit=commit)
        token = invitation_token_of(request)
        if commit and token and invitation_of(request) is not None:
            try:
                team_invitation_accept(user=user, token=token)
            except DomainError as error:
                messages.error(request, error.detail)
            invitation_forget(request)
        return user

    def post_login(self, request, user, **kwargs):
        response = super().post_login(request, user, **kwargs)
        time_zone_proposal_add(request, user)
        return response
