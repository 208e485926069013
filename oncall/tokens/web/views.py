"""The API tokens pages: the person's own (``/profile/tokens/``) and a team's service
tokens (``/teams/<id>/tokens/``, its managers). A new or rotated token's secret is on the
answer to that POST only (never stored, so never shown again; ``no-store`` keeps it out
of the browser's cache)."""

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_POST

from common.errors import DomainError, NotFound
from oncall.teams.selectors import team_get, team_is_manager, team_list_managed
from oncall.teams.web.views import form_errors_from
from oncall.tokens.selectors import (
    legacy_token_of,
    token_get_manageable,
    token_list_personal,
    token_list_team,
)
from oncall.tokens.services import (
    legacy_token_revoke,
    token_create,
    token_revoke,
    token_rotate,
)
from oncall.tokens.web.forms import TokenCreateForm


def _page(request, template: str, context: dict, status: int = 200) -> HttpResponse:
    response = render(request, template, context, status=status)
    add_never_cache_headers(response)
    return response


def _team_managed_or_404(request: HttpRequest, team_id: int):
    try:
        team = team_get(user=request.user, team_id=team_id)
    except NotFound as error:
        raise Http404(error.detail) from None
    return team, team_is_manager(user=request.user, team=team)


def _create(request: HttpRequest, form: TokenCreateForm, team=None):
    """(token, secret) when the form made one; else None with the errors on the form."""
    if not form.is_valid():
        return None
    try:
        return token_create(actor=request.user, team=team, request=request, **form.cleaned_data)
    except DomainError as error:
        form_errors_from(form, error)
        return None


def profile_tokens(request: HttpRequest) -> HttpResponse:
    allow_integrations = team_list_managed(user=request.user).exists()
    form = TokenCreateForm(allow_integrations=allow_integrations)
    created = None
    status = 200
    if request.method == "POST":
        form = TokenCreateForm(request.POST, allow_integrations=allow_integrations)
        created = _create(request, form)
        if created is None:
            status = 400
        else:
            form = TokenCreateForm(allow_integrations=allow_integrations)
    context = {
        "tokens": list(token_list_personal(user=request.user)),
        "legacy": legacy_token_of(user=request.user),
        "form": form,
        "created": created,
        "revealed_action": "created",
    }
    return _page(request, "tokens/profile.html", context, status)


def team_tokens(request: HttpRequest, team_id: int) -> HttpResponse:
    team, manager = _team_managed_or_404(request, team_id)
    if not manager:
        return _page(request, "tokens/team_forbidden.html", {"team": team}, 403)
    form = TokenCreateForm(allow_integrations=True)
    created = None
    status = 200
    if request.method == "POST":
        form = TokenCreateForm(request.POST, allow_integrations=True)
        created = _create(request, form, team=team)
        if created is None:
            status = 400
        else:
            form = TokenCreateForm(allow_integrations=True)
    context = {
        "team": team,
        "tokens": list(token_list_team(team=team)),
        "form": form,
        "created": created,
        "revealed_action": "created",
    }
    return _page(request, "tokens/team.html", context, status)


def _back_to(token) -> tuple[str, tuple]:
    if token.team_id is not None:
        return "web:team-tokens", (token.team_id,)
    return "web:profile-tokens", ()


def _manageable_or_404(request: HttpRequest, token_id: int):
    try:
        return token_get_manageable(user=request.user, token_id=token_id)
    except NotFound as error:
        raise Http404(error.detail) from None


@require_POST
def token_rotate_view(request: HttpRequest, token_id: int) -> HttpResponse:
    token = _manageable_or_404(request, token_id)
    name, args = _back_to(token)
    try:
        new, raw = token_rotate(actor=request.user, token=token, request=request)
    except DomainError as error:
        messages.error(request, error.detail)
        return redirect(name, *args)
    if token.team_id is not None:
        context = {
            "team": token.team,
            "tokens": list(token_list_team(team=token.team)),
            "form": TokenCreateForm(allow_integrations=True),
            "template": "tokens/team.html",
        }
    else:
        context = {
            "tokens": list(token_list_personal(user=request.user)),
            "legacy": legacy_token_of(user=request.user),
            "form": TokenCreateForm(
                allow_integrations=team_list_managed(user=request.user).exists()
            ),
            "template": "tokens/profile.html",
        }
    context.update(created=(new, raw), revealed_action="rotated", old=token)
    return _page(request, context.pop("template"), context)


@require_POST
def token_revoke_view(request: HttpRequest, token_id: int) -> HttpResponse:
    token = _manageable_or_404(request, token_id)
    name, args = _back_to(token)
    try:
        token_revoke(actor=request.user, token=token, request=request)
    except DomainError as error:
        messages.error(request, error.detail)
    else:
        messages.success(request, f"Token “{token.name}” revoked: it no longer works.")
    return redirect(name, *args)


@require_POST
def legacy_token_revoke_view(request: HttpRequest) -> HttpResponse:
    if legacy_token_revoke(actor=request.user, request=request):
        messages.success(request, "Your legacy API token is revoked: it no longer works.")
    return redirect("web:profile-tokens")
