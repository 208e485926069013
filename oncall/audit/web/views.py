"""The audit log page (``/audit/``): staff read every row, a team's managers the rows of
their teams, anyone else gets a 403 page. Filters in the query string; the same filters
download the whole matching log as CSV (``/audit/export.csv``)."""

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from common.errors import DomainError
from oncall.audit.export import audit_csv_response
from oncall.audit.filters import audit_filters_from
from oncall.audit.models import AuditAction
from oncall.audit.selectors import (
    AuditFilters,
    audit_can_read,
    audit_event_list,
    audit_teams_readable,
)

PAGE_SIZE = 50


def _forbidden(request: HttpRequest) -> HttpResponse:
    return render(request, "audit/forbidden.html", status=403)


def audit_log(request: HttpRequest) -> HttpResponse:
    if not audit_can_read(viewer=request.user):
        return _forbidden(request)
    problem = ""
    try:
        filters = audit_filters_from(request.GET)
    except DomainError as error:
        problem, filters = error.detail, AuditFilters()
    events = audit_event_list(viewer=request.user, filters=filters)
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "page": page,
        "events": list(page.object_list),
        "filters": filters,
        "problem": problem,
        "actions": AuditAction.choices,
        "teams": list(audit_teams_readable(viewer=request.user)),
        "query": query.urlencode(),
    }
    return render(request, "audit/log.html", context, status=400 if problem else 200)


def audit_export(request: HttpRequest) -> HttpResponse:
    if not audit_can_read(viewer=request.user):
        return _forbidden(request)
    try:
        filters = audit_filters_from(request.GET)
    except DomainError as error:
        return HttpResponse(error.detail, status=400, content_type="text/plain")
    events = audit_event_list(viewer=request.user, filters=filters)
    return audit_csv_response(events, filename="audit-log.csv")
