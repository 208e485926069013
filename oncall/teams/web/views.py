"""The teams' pages. Reads through ``oncall.teams.selectors``, writes through
``oncall.teams.services``; a team that is not the reader's is "not found"."""

from allauth.account.utils import perform_login
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from common.errors import DomainError, NotFound
from oncall.teams.models import InvitationState, TeamRole
from oncall.teams.selectors import (
    account_exists_for,
    invitation_from_token,
    team_get,
    team_invitation_get,
    team_invitations_open,
    team_is_manager,
    team_list_with_counts,
    team_managers,
    team_membership_list,
    team_role_of,
)
from oncall.teams.services import (
    INVALID_LINK,
    REFUSALS,
    InvitationRefused,
    team_invitation_accept,
    team_invitation_accept_with_new_account,
    team_invitation_create,
    team_invitation_revoke,
)
from oncall.teams.signup import invitation_forget, invitation_remember
from oncall.teams.web import sections
from oncall.teams.web.forms import InvitationForm, NewAccountForm


def form_errors_from(form: forms.Form, error: DomainError) -> None:
    """Show a service's refusal on the form: its field errors by their fields, the rest
    (and the message itself when there are none) at the top."""
    placed = False
    for field, problems in error.errors.items():
        form.add_error(field if field in form.fields else None, list(problems))
        placed = True
    if not placed:
        form.add_error(None, error.detail)


def _team_or_404(request: HttpRequest, team_id: int):
    try:
        return team_get(user=request.user, team_id=team_id)
    except NotFound as error:
        raise Http404(error.detail) from None


def team_list(request: HttpRequest) -> HttpResponse:
    teams = list(team_list_with_counts(user=request.user))
    roles = dict(request.user.team_memberships.values_list("team_id", "role"))
    rows = [{"team": team, "role": roles.get(team.pk)} for team in teams]
    context = {"rows": rows, "roles": TeamRole}
    # Staff and managers read the audit log (of their teams): the page links to it.
    context["reads_audit"] = request.user.is_staff or TeamRole.MANAGER in roles.values()
    return render(request, "teams/list.html", context)


def team_detail(request: HttpRequest, team_id: int) -> HttpResponse:
    """The team's people; for its managers, inviting (POST here) and what is pending."""
    team = _team_or_404(request, team_id)
    manager = team_is_manager(user=request.user, team=team)
    form = InvitationForm()
    status = 200
    if request.method == "POST":
        if not manager:
            messages.error(request, f"Only managers of {team.name} (or staff) can invite people.")
            return redirect("web:team-detail", team.pk)
        form = InvitationForm(request.POST)
        if form.is_valid():
            try:
                invitation = team_invitation_create(
                    actor=request.user,
                    team=team,
                    email=form.cleaned_data["email"],
                    role=form.cleaned_data["role"],
                )
            except DomainError as error:
                form_errors_from(form, error)
            else:
                messages.success(
                    request,
                    f"Invitation sent to {invitation.email} "
                    f"({invitation.get_role_display().lower()}). The link works for 7 days.",
                )
                return redirect(reverse("web:team-detail", args=[team.pk]) + "#invitations")
        status = 400
    now = timezone.now()
    invitations = []
    if manager:
        invitations = [
            {"invitation": invitation, "expired": invitation.state_at(now) == "expired"}
            for invitation in team_invitations_open(team=team)
        ]
    context = {
        "team": team,
        "memberships": team_membership_list(team=team),
        "my_role": team_role_of(user=request.user, team=team),
        "manager": manager,
        "managers": [] if manager else list(team_managers(team=team)),
        "form": form,
        "invitations": invitations,
        # What higher apps add (the response process): oncall cannot import them.
        "sections": sections.render_sections("team_detail", request, team=team),
    }
    return render(request, "teams/detail.html", context, status=status)


@require_GET
def team_file(request: HttpRequest, team_id: int, name: str) -> HttpResponse:
    """A file a section offers for the team (``sections.register_download``), for the
    team's members only."""
    team = _team_or_404(request, team_id)
    response = sections.download_render(name, request, team=team)
    if response is None:
        raise Http404("No such file.")
    return response


@require_POST
def team_invitation_withdraw(request: HttpRequest, team_id: int, invitation_id: int):
    team = _team_or_404(request, team_id)
    if not team_is_manager(user=request.user, team=team):
        messages.error(
            request, f"Only managers of {team.name} (or staff) can withdraw invitations."
        )
        return redirect("web:team-detail", team.pk)
    try:
        invitation = team_invitation_get(team=team, invitation_id=invitation_id)
    except NotFound as error:
        raise Http404(error.detail) from None
    try:
        team_invitation_revoke(actor=request.user, invitation=invitation)
    except DomainError as error:
        messages.error(request, error.detail)
    else:
        messages.success(request, f"Invitation to {invitation.email} withdrawn.")
    return redirect(reverse("web:team-detail", args=[team.pk]) + "#invitations")


def _refused(request: HttpRequest, message: str, status: int) -> HttpResponse:
    return render(request, "teams/invitation.html", {"refusal": message}, status=status)


@login_not_required
def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    """Where the invitation e-mail's link leads: join with the account one is signed in
    with, sign in first, or make an account for the invited address."""
    invitation = invitation_from_token(token)
    if invitation is None:
        return _refused(request, INVALID_LINK, 404)
    state = invitation.state_at(timezone.now())
    if state != InvitationState.PENDING:
        return _refused(request, REFUSALS[state], 410)
    team_page = reverse("web:team-detail", args=[invitation.team_id])
    form = NewAccountForm()
    status = 200
    if request.user.is_authenticated:
        if request.method == "POST":
            try:
                membership = team_invitation_accept(user=request.user, token=token)
            except InvitationRefused as error:
                return _refused(request, error.detail, 410)
            except DomainError as error:
                return _refused(request, error.detail, error.status_code)
            invitation_forget(request)
            messages.success(
                request,
                f"Welcome to {membership.team.name}: you are "
                f"{'a manager' if membership.role == TeamRole.MANAGER else 'a member'}.",
            )
            return redirect(team_page)
    else:
        # Carrying the invitation opens sign-up (and SSO sign-up) to this person.
        invitation_remember(request, token)
        if request.method == "POST":
            form = NewAccountForm(request.POST)
            if form.is_valid():
                try:
                    membership = team_invitation_accept_with_new_account(
                        token=token,
                        username=form.cleaned_data["username"],
                        password=form.cleaned_data["password"],
                        first_name=form.cleaned_data["first_name"],
                        last_name=form.cleaned_data["last_name"],
                    )
                except InvitationRefused as error:
                    return _refused(request, error.detail, 410)
                except DomainError as error:
                    form_errors_from(form, error)
                else:
                    invitation_forget(request)
                    messages.success(
                        request, f"Welcome to Tocsin. You are now in {membership.team.name}."
                    )
                    return perform_login(
                        request,
                        membership.user,
                        email_verification="none",
                        redirect_url=team_page,
                    )
            status = 400
    context = {
        "invitation": invitation,
        "form": form,
        "account_exists": (
            not request.user.is_authenticated and account_exists_for(email=invitation.email)
        ),
    }
    return render(request, "teams/invitation.html", context, status=status)
