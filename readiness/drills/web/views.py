"""Drill pages: the list with the schedule form (managers), and a drill's report with
its measures and findings, which a manager turns into action items. Reads through
readiness.drills.selectors, writes through readiness.drills.services; another team's
drill is 404, a domain error is a message on the page."""

import datetime

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from common.errors import DomainError, NotFound
from oncall.teams.selectors import team_is_manager, team_list
from readiness.drills import markdown, selectors, services
from readiness.drills.scoring import duration_words
from readiness.drills.web.forms import DrillScheduleForm, FindingPromoteForm

LIST_ROWS = 100


def _drill_or_404(request: HttpRequest, drill_id: int):
    try:
        return selectors.drill_get(user=request.user, drill_id=drill_id)
    except NotFound as error:
        raise Http404(error.detail) from None


def _form_errors_from(form, error: DomainError) -> None:
    for name, problems in error.errors.items():
        for problem in problems:
            form.add_error(name if name in form.fields else None, problem)
    if not error.errors:
        form.add_error(None, error.detail)


def drill_list_page(request: HttpRequest) -> HttpResponse:
    form = DrillScheduleForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            drill = services.drill_schedule(actor=request.user, **data)
        except DomainError as error:
            _form_errors_from(form, error)
        else:
            messages.success(
                request,
                "Drill scheduled"
                + (" and announced to the team." if drill.announced else " (unannounced)."),
            )
            return redirect("web:drill-detail", drill.pk)
    if request.method != "POST":
        form.initial["scheduled_at"] = timezone.localtime(
            timezone.now() + datetime.timedelta(days=1)
        ).replace(minute=0, second=0, microsecond=0)
    drills = list(
        selectors.drill_list(user=request.user, team_id=request.GET.get("team"))[:LIST_ROWS]
    )
    return render(
        request,
        "drills/list.html",
        {
            "form": form,
            "can_schedule": form.fields["team"].queryset.exists(),
            "drills": drills,
            "teams": team_list(user=request.user),
            "team_id": request.GET.get("team", ""),
        },
        status=400 if request.method == "POST" else 200,
    )


def _rows(report):
    return [
        {
            "measure": m,
            "target": duration_words(m.target),
            "actual": duration_words(m.actual),
        }
        for m in report.measures
    ]


def drill_detail_page(request: HttpRequest, drill_id: int) -> HttpResponse:
    drill = _drill_or_404(request, drill_id)
    report = selectors.drill_report(drill=drill)
    manager = team_is_manager(user=request.user, team=drill.team)
    promote_forms = {
        f.pk: FindingPromoteForm(
            team=drill.team,
            prefix=f"finding-{f.pk}",
            initial={
                "title": f.title,
                "due_date": (timezone.localdate() + datetime.timedelta(days=14)),
            },
        )
        for f in report.findings
        if f.action_item_id is None and manager
    }
    return render(
        request,
        "drills/detail.html",
        {
            "drill": drill,
            "report": report,
            "rows": _rows(report),
            "manager": manager,
            "findings": [(f, promote_forms.get(f.pk)) for f in report.findings],
        },
    )


def drill_markdown(request: HttpRequest, drill_id: int) -> HttpResponse:
    drill = _drill_or_404(request, drill_id)
    response = HttpResponse(
        markdown.drill_report_markdown(selectors.drill_report(drill=drill)),
        content_type="text/markdown; charset=utf-8",
    )
    response["Content-Disposition"] = f'inline; filename="drill-{drill.pk}.md"'
    return response


@require_POST
def drill_cancel(request: HttpRequest, drill_id: int) -> HttpResponse:
    drill = _drill_or_404(request, drill_id)
    try:
        services.drill_cancel(actor=request.user, drill=drill)
    except DomainError as error:
        messages.error(request, error.detail)
    else:
        messages.success(request, "Drill cancelled.")
    return redirect("web:drill-detail", drill.pk)


@require_POST
def drill_finding_promote(request: HttpRequest, drill_id: int, finding_id: int) -> HttpResponse:
    drill = _drill_or_404(request, drill_id)
    try:
        finding = selectors.drill_finding_get(drill=drill, finding_id=finding_id)
    except NotFound:
        raise Http404("Finding not found.") from None
    form = FindingPromoteForm(request.POST, team=drill.team, prefix=f"finding-{finding.pk}")
    if not form.is_valid():
        problems = "; ".join(e for errors in form.errors.values() for e in errors)
        messages.error(request, f"The action item was not created: {problems}")
    else:
        try:
            item = services.drill_finding_promote(
                actor=request.user, finding=finding, **form.cleaned_data
            )
        except DomainError as error:
            messages.error(request, error.detail)
        else:
            messages.success(request, f"Action item created: {item.title}")
    return redirect(reverse("web:drill-detail", args=[drill.pk]) + f"#finding-{finding.pk}")
