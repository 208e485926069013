"""The staff page that imports from another on-call product (``/imports/``): a form, the
plan it reads, and Apply, which applies exactly the plan shown (kept in the session under
a key the page carries; the token never is)."""

import datetime
import secrets

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods, require_POST

from common.errors import DomainError
from common.outbound import ForbiddenDestination, outbound_url_require_public
from incidents.imports.plan import KIND_LABELS, Plan
from incidents.imports.services import import_apply, import_plan
from incidents.imports.sources import SOURCE_LABELS
from incidents.imports.web.forms import ImportSourceForm

SESSION_KEY = "imports.plan"


def _forbidden(request: HttpRequest) -> HttpResponse:
    return render(request, "imports/forbidden.html", status=403)


@require_http_methods(["GET", "POST"])
def import_page(request: HttpRequest) -> HttpResponse:
    if not request.user.is_staff:
        return _forbidden(request)
    if request.method == "GET":
        return render(request, "imports/page.html", {"form": ImportSourceForm()})
    form = ImportSourceForm(request.POST)
    if not form.is_valid():
        return render(request, "imports/page.html", {"form": form}, status=400)
    try:
        if form.cleaned_data["base_url"]:
            outbound_url_require_public(form.cleaned_data["base_url"])
        plan = import_plan(
            actor=request.user,
            source=form.cleaned_data["source"],
            token=form.cleaned_data["token"],
            base_url=form.cleaned_data["base_url"] or "",
            team_ids=form.team_ids(),
        )
    except ForbiddenDestination as error:
        form.add_error("base_url", str(error))
        return render(request, "imports/page.html", {"form": form}, status=400)
    except DomainError as error:
        context = {"form": form, "problem": error.detail}
        return render(request, "imports/page.html", context, status=error.status_code)
    key = secrets.token_urlsafe(16)
    # One plan per session: showing a new plan replaces the one that could be applied.
    request.session[SESSION_KEY] = {"key": key, "plan": plan.to_json()}
    context = _plan_context(plan) | {"form": form, "plan_key": key}
    return render(request, "imports/page.html", context)


def _plan_context(plan: Plan) -> dict:
    return {
        "plan": plan,
        "read_at": datetime.datetime.fromisoformat(plan.read_at),
        "source_label": SOURCE_LABELS.get(plan.source, plan.source),
        "sections": [(kind, title, items) for kind, title, items in plan.by_kind() if items],
    }


@require_POST
def import_apply_view(request: HttpRequest) -> HttpResponse:
    if not request.user.is_staff:
        return _forbidden(request)
    stored = request.session.get(SESSION_KEY) or {}
    given = request.POST.get("plan_key", "")
    if not given or not secrets.compare_digest(str(stored.get("key", "")), given):
        context = {
            "form": ImportSourceForm(),
            "problem": "This plan is no longer the one to apply (a newer plan was shown, or "
            "it was applied already). Show the plan again.",
        }
        return render(request, "imports/page.html", context, status=409)
    plan = Plan.from_json(stored["plan"])
    try:
        result = import_apply(plan=plan, actor=request.user)
    except DomainError as error:
        context = _plan_context(plan) | {
            "form": ImportSourceForm(initial={"source": plan.source}),
            "problem": f"Nothing was imported: {error.detail} Show the plan again.",
        }
        return render(request, "imports/page.html", context, status=409)
    request.session.pop(SESSION_KEY, None)
    context = _plan_context(plan) | {
        "result": result,
        "created": [(KIND_LABELS[kind], count) for kind, count in result.created.items()],
        "updated": [(KIND_LABELS[kind], count) for kind, count in result.updated.items()],
    }
    return render(request, "imports/done.html", context)
