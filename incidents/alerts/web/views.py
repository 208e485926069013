"""The integrations pages: the list of the reader's teams' integrations (and, for team
managers, the form that creates one), an integration's page with the configuration to
paste into the sending tool, its recent alerts, the test-event button and key rotation.

Reads go through incidents.alerts.selectors (another team's integration is 404), writes
through the same services the API calls. A routing key exists in clear only in the
answer to create or rotate: the view keeps it in the session just long enough for the
redirect to show it once (``_KEY``), then it is gone; later visits show its first
characters only."""

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from common.errors import AccessDenied, DomainError, NotFound
from incidents.alerts import selectors
from incidents.alerts.models import Integration
from incidents.alerts.services import (
    integration_create,
    integration_rotate_key,
    integration_send_test_event,
)
from incidents.alerts.web.forms import IntegrationForm
from incidents.alerts.web.snippets import integration_snippets
from oncall.teams.selectors import team_is_manager, team_list_managed

RECENT_ALERTS = 20
_KEY = "integration-key-{}"  # session: the key just made, popped by the next page view
_TEST = "integration-test-{}"  # session: the last test event's result, for the redirect


def _integration_or_404(request: HttpRequest, integration_id: Any) -> Integration:
    try:
        integration = selectors.integration_get(user=request.user, integration_id=integration_id)
    except NotFound as error:
        raise Http404(error.detail) from None
    return integration


def _recent_alerts(request: HttpRequest, integration: Integration | None = None) -> list:
    alerts = selectors.alert_list(user=request.user)
    if integration is not None:
        alerts = alerts.filter(integration=integration)
    return list(alerts[:RECENT_ALERTS])


def _denied(request: HttpRequest, detail: str) -> HttpResponse:
    return render(request, "integrations/denied.html", {"detail": detail}, status=403)


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


@require_http_methods(["GET", "POST"])
def integration_list_page(request: HttpRequest) -> HttpResponse:
    managed = team_list_managed(user=request.user)
    can_create = managed.exists()
    form = IntegrationForm(teams=managed) if can_create else None
    if request.method == "POST":
        if not can_create:
            return _denied(request, "Only team managers (or staff) can add integrations.")
        form = IntegrationForm(request.POST, teams=managed)
        if form.is_valid():
            try:
                integration, key = integration_create(actor=request.user, **form.create_arguments())
            except AccessDenied as error:
                return _denied(request, error.detail)
            except DomainError as error:
                form.add_domain_error(error)
            else:
                request.session[_KEY.format(integration.pk)] = key
                messages.success(request, f"Integration “{integration.name}” added.")
                return redirect("web:integration-detail", integration_id=integration.pk)
    integrations = list(
        selectors.integration_list(user=request.user).select_related("team", "service")
    )
    return render(
        request,
        "integrations/list.html",
        {
            "integrations": integrations,
            "form": form,
            "alerts": _recent_alerts(request),
            "show_team": len({i.team_id for i in integrations}) > 1,
        },
    )


def integration_detail(request: HttpRequest, integration_id: int) -> HttpResponse:
    integration = _integration_or_404(request, integration_id)
    key = request.session.pop(_KEY.format(integration.pk), None)
    test = request.session.pop(_TEST.format(integration.pk), None)
    context = {
        "integration": integration,
        "key": key,
        "snippets": integration_snippets(integration, key),
        "can_manage": team_is_manager(user=request.user, team=integration.team),
        "alerts": _recent_alerts(request, integration),
        **_test_context(request, test),
    }
    response = render(request, "integrations/detail.html", context)
    # The page may hold the key: no copy of it in any cache, nor in the back button's.
    response["Cache-Control"] = "no-store"
    return response


def _test_context(request: HttpRequest, test: dict | None) -> dict[str, Any]:
    if not test:
        return {}
    if test.get("error"):
        return {"test_error": test["error"]}
    alert = selectors.alert_list(user=request.user).filter(pk=test.get("alert")).first()
    return {"test_alert": alert, "test_repeat": bool(test.get("deduplicated"))}


@require_POST
def integration_test_event(request: HttpRequest, integration_id: int) -> HttpResponse:
    integration = _integration_or_404(request, integration_id)
    try:
        result = integration_send_test_event(actor=request.user, integration=integration)
    except AccessDenied as error:
        return _denied(request, error.detail)
    except DomainError as error:
        test: dict[str, Any] = {"error": error.detail}
    else:
        test = {"alert": result.alert_id, "deduplicated": result.deduplicated}
    if _is_htmx(request):
        return render(
            request,
            "integrations/_activity.html",
            {
                "integration": integration,
                "alerts": _recent_alerts(request, integration),
                **_test_context(request, test),
            },
        )
    request.session[_TEST.format(integration.pk)] = test
    return redirect("web:integration-detail", integration_id=integration.pk)


@require_POST
def integration_rotate(request: HttpRequest, integration_id: int) -> HttpResponse:
    integration = _integration_or_404(request, integration_id)
    if request.POST.get("confirm") != "yes":
        messages.error(request, "Tick the box first: the old key stops working at once.")
        return redirect("web:integration-detail", integration_id=integration.pk)
    try:
        integration, key = integration_rotate_key(actor=request.user, integration=integration)
    except AccessDenied as error:
        return _denied(request, error.detail)
    except DomainError as error:
        messages.error(request, error.detail)
    else:
        request.session[_KEY.format(integration.pk)] = key
        messages.success(request, "New key made. The old key no longer works.")
    return redirect("web:integration-detail", integration_id=integration.pk)
