"""Runbook pages: the list (stale ones marked), a runbook rendered as safe HTML, its
version history with diffs, and the coverage report. Reads through runbooks.selectors,
the one write (mark tested) through runbooks.services; another team's runbook is 404."""

import contextlib
import re
from datetime import datetime
from itertools import pairwise
from typing import Any
from urllib.parse import urlsplit

from django.contrib import messages
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST

from common.errors import DomainError, InvalidInput, NotFound
from incidents.selectors import incident_get
from oncall.teams.selectors import team_get, team_list
from runbooks import selectors, services
from runbooks.models import REQUIRED_SECTIONS, Runbook, RunbookAttachment
from runbooks.rendering import missing_sections, render_markdown


def _runbook_or_404(request: HttpRequest, runbook_id: Any) -> Runbook:
    try:
        return selectors.runbook_get(user=request.user, runbook_id=runbook_id)
    except NotFound as error:
        raise Http404(error.detail) from None


def _team_or_404(request: HttpRequest) -> Any:
    if not request.GET.get("team"):
        return None
    try:
        return team_get(user=request.user, team_id=request.GET["team"])
    except NotFound as error:
        raise Http404(error.detail) from None


def runbook_list_page(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    team = _team_or_404(request)
    runbooks = selectors.runbook_list(user=request.user)
    if team is not None:
        runbooks = runbooks.filter(team=team)
    if request.GET.get("stale") in ("1", "true", "on"):
        runbooks = runbooks.filter(review_due_at__lte=now)
    query = request.GET.get("q", "").strip()
    if query:
        runbooks = runbooks.filter(Q(title__icontains=query) | Q(body__icontains=query))
    rows = [{"runbook": r, "stale": r.review_due_at <= now} for r in runbooks]
    return render(
        request,
        "runbooks/list.html",
        {
            "rows": rows,
            "teams": list(team_list(user=request.user)),
            "team": team,
            "params": request.GET,
            "stale_count": sum(1 for row in rows if row["stale"]),
        },
    )


_INCIDENT_PAGE = re.compile(r"^/incidents/(\d{1,18})/$")


def _opened_from_incident(request: HttpRequest) -> str | None:
    """The incident whose page the runbook was opened from: ``?incident=<id>``, or the
    incident page that linked here (the same-origin referrer, which the site's
    Referrer-Policy sends)."""
    given = request.GET.get("incident", "")
    if given.isdigit() and len(given) <= 18:
        return given
    referrer = urlsplit(request.headers.get("Referer", ""))
    if referrer.netloc and referrer.netloc != request.get_host():
        return None
    match = _INCIDENT_PAGE.match(referrer.path)
    return match.group(1) if match else None


def runbook_detail(request: HttpRequest, runbook_id: int) -> HttpResponse:
    runbook = _runbook_or_404(request, runbook_id)
    incident_id = _opened_from_incident(request)
    if incident_id is not None:
        # Opened from an incident's page: recorded on its timeline (a drill scores it).
        try:
            incident = incident_get(user=request.user, incident_id=incident_id)
        except NotFound:
            incident = None
        if incident is not None:
            # Staff outside the team may read it; there is nothing to record then.
            with contextlib.suppress(DomainError):
                services.runbook_opened_from_incident(
                    runbook=runbook, incident=incident, actor=request.user
                )
    return render(
        request,
        "runbooks/detail.html",
        {
            "runbook": runbook,
            # render_markdown sanitises with nh3 (an allow-list of tags, attributes and
            # URL schemes), so its output is safe to insert.
            "body_html": mark_safe(render_markdown(runbook.body)),  # noqa: S308
            "missing_sections": missing_sections(runbook.body, REQUIRED_SECTIONS),
            "stale": runbook.review_due_at <= timezone.now(),
            "services": list(runbook.services.all()),
        },
    )


@require_POST
def runbook_tested(request: HttpRequest, runbook_id: int) -> HttpResponse:
    runbook = _runbook_or_404(request, runbook_id)
    try:
        services.runbook_mark_tested(runbook=runbook, actor=request.user)
    except DomainError as error:
        messages.error(request, error.detail)
    else:
        messages.success(request, "Marked as tested today; the review clock restarts.")
    return redirect("web:runbook-detail", runbook_id=runbook.pk)


def _diff_lines(text: str) -> list[tuple[str, str]]:
    kinds = []
    for line in text.splitlines():
        if line.startswith(("+++", "---")):
            kind = "file"
        elif line.startswith("@@"):
            kind = "hunk"
        elif line.startswith("+"):
            kind = "added"
        elif line.startswith("-"):
            kind = "removed"
        else:
            kind = "same"
        kinds.append((kind, line))
    return kinds


# The fields runbook_diff compares, as the page names them.
CHANGE_LABELS = {
    "title": "Title",
    "matchers": "Matching rules",
    "review_interval_days": "Days between reviews",
    "last_tested_at": "Last tested",
}
TIME_FIELDS = {"last_tested_at"}


def _change_rows(changes: dict[str, list[Any]]) -> list[dict[str, Any]]:
    """runbook_diff's changes in plain words; times back to aware datetimes, so the
    template shows them in the reader's zone."""
    rows = []
    for field, (before, after) in changes.items():
        is_time = field in TIME_FIELDS
        if is_time:
            before, after = (_as_datetime(v) for v in (before, after))
        rows.append(
            {
                "label": CHANGE_LABELS.get(field, field.replace("_", " ").capitalize()),
                "before": before,
                "after": after,
                "is_time": is_time,
            }
        )
    return rows


def _as_datetime(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return value
    return value


def runbook_versions_page(request: HttpRequest, runbook_id: int) -> HttpResponse:
    runbook = _runbook_or_404(request, runbook_id)
    versions = selectors.runbook_versions(runbook=runbook)  # newest first
    for newer, older in pairwise(versions):
        newer["previous_id"] = older["history_id"]
    diff = None
    error = None
    ids = [v["history_id"] for v in versions]
    to_id = request.GET.get("to") or (ids[0] if ids else None)
    from_id = request.GET.get("from") or (ids[1] if len(ids) > 1 else None)
    if to_id is not None and from_id is not None:
        try:
            diff = selectors.runbook_diff(runbook=runbook, from_version=from_id, to_version=to_id)
        except InvalidInput as exc:
            error = exc.detail
        else:
            diff["lines"] = _diff_lines(diff["body_diff"])
            diff["change_rows"] = _change_rows(diff["changes"])
    return render(
        request,
        "runbooks/versions.html",
        {"runbook": runbook, "versions": versions, "diff": diff, "error": error},
    )


def runbook_coverage_page(request: HttpRequest) -> HttpResponse:
    teams = list(team_list(user=request.user))
    team = _team_or_404(request) or (teams[0] if teams else None)
    coverage = selectors.runbook_coverage(team=team) if team is not None else None
    return render(
        request,
        "runbooks/coverage.html",
        {"teams": teams, "team": team, "coverage": coverage},
    )


@require_POST
def runbook_accuracy(request: HttpRequest, incident_id: int, attachment_id: int) -> HttpResponse:
    """ "Was this runbook accurate?" answered from the incident page (the resolve e-mail
    links there), through the same service as the API."""
    try:
        incident = incident_get(user=request.user, incident_id=incident_id)
    except NotFound as exc:
        raise Http404(exc.detail) from exc
    attachment = RunbookAttachment.objects.filter(incident=incident, pk=attachment_id).first()
    if attachment is None:
        raise Http404("This runbook is not attached to the incident.")
    accurate = request.POST.get("accurate") == "yes"
    try:
        services.runbook_accuracy_answer(
            attachment=attachment,
            actor=request.user,
            accurate=accurate,
            comment=request.POST.get("comment", "")[:2000],
        )
        messages.success(request, "Thanks: your answer is on the timeline.")
    except DomainError as exc:
        messages.error(request, exc.detail)
    return redirect(reverse("web:incident-detail", args=[incident.pk]) + "#section-runbooks")
