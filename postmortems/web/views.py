"""Pages for postmortems and action items. Reads through postmortems.selectors, writes
through postmortems.services; a domain error becomes a message on the page. Another
team's postmortem or action item is "not found" (404)."""

import datetime
import re
from collections import OrderedDict
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.views.decorators.http import require_POST

from common.errors import Conflict, DomainError, InvalidInput, NotFound
from oncall.teams.models import Team
from oncall.teams.selectors import team_get, team_list, team_membership_list
from postmortems import markdown, sections, selectors, services
from postmortems.models import (
    ActionItemKind,
    ActionItemPriority,
    ActionItemStatus,
    FactorCategory,
    Postmortem,
    PostmortemStatus,
)

PAGE_SIZE = 50
TIMELINE_FORMAT = "%Y-%m-%dT%H:%M:%S"


def _not_found(error: NotFound) -> Http404:
    return Http404(error.detail)


def _is_htmx(request: HttpRequest) -> bool:
    return bool(request.headers.get("HX-Request"))


# --- messages in plain words ------------------------------------------------------------

CONFIRM_WARNINGS_LABEL = "I have read the wording warnings and want to publish anyway"
_FIELD_LABELS: dict[str, str] = {
    **{s.name: s.full_label for s in sections.SECTIONS},
    **{f.name: f.label for f in sections.FIGURES},
    "owner": "Owner",
    "reviewers": "Reviewers",
    "title": "Title",
    "priority": "Priority",
    "kind": "Kind",
    "due_date": "Due date",
    "question": "Question",
    "answer": "Answer",
    "description": "Description",
    "category": "Category",
    "occurred_at": "Time",
    "reason": "Reason",
}
# Status keys that a service message may carry, and how people say them.
_STATUS_WORDS = {
    **{value: str(label).lower() for value, label in PostmortemStatus.choices},
    **{value: str(label).lower() for value, label in ActionItemStatus.choices},
}
_STATUS_KEY = re.compile(r"\b(" + "|".join(map(re.escape, _STATUS_WORDS)) + r")\b")


def _words(text: str) -> str:
    """A service's sentence with any status key (``in_progress``) said in words."""
    return _STATUS_KEY.sub(lambda match: _STATUS_WORDS[match.group(1)], text)


def _plain_error(error: DomainError, *, subject: str = "The postmortem") -> str:
    """What went wrong, in the words of the page: no field names, no raw keys."""
    extra = error.extra
    if "confirm_blameless_warnings" in error.errors:
        count = len(extra.get("warnings", []))
        return (
            f"The wording check found {count} warning{pluralize(count)}. Reword them, or tick "
            f"“{CONFIRM_WARNINGS_LABEL}” and publish again."
        )
    if "amendment_reason" in error.errors:
        return "This postmortem is published: say why you are changing it, then save again."
    if isinstance(error, Conflict) and "status" in extra and "allowed" in extra:
        now = _STATUS_WORDS.get(extra["status"], extra["status"])
        allowed = [_STATUS_WORDS.get(s, s) for s in extra["allowed"]]
        return f"{subject} is {now}" + (
            f"; it can move to {', '.join(allowed)}." if allowed else " and cannot move on."
        )
    details = []
    for field, messages_ in error.errors.items():
        label = _FIELD_LABELS.get(field)
        text = " ".join(_words(str(m)) for m in messages_)
        if field in ("status", "reason", "rows", "section"):
            continue  # the detail already says it
        details.append(f"{label}: {text}" if label else text)
    return " ".join([_words(error.detail), *details])


# --- action items ---------------------------------------------------------------------


def _team_param(request: HttpRequest) -> Team | None:
    """The team named by ``?team=``, one of the user's (else 404), or None."""
    if not request.GET.get("team"):
        return None
    try:
        return team_get(user=request.user, team_id=request.GET["team"])
    except NotFound as error:
        raise _not_found(error) from None


def _board_filters(request: HttpRequest) -> dict[str, Any]:
    return {"team": _team_param(request), "mine": request.GET.get("mine") in ("1", "true", "on")}


def _board_context(request: HttpRequest) -> dict[str, Any]:
    filters = _board_filters(request)
    items = selectors.action_item_list(user=request.user)
    if filters["team"] is not None:
        items = items.filter(incident__team=filters["team"])
    if filters["mine"]:
        items = items.filter(owner=request.user)
    board = selectors.action_item_board(items=items)
    labels = dict(ActionItemStatus.choices)
    transitions = _transition_buttons()
    for column in board["columns"].values():
        for item in column:
            item.next_statuses = transitions[item.status]
    return {
        "filters": filters,
        "query": request.GET.urlencode(),
        "teams": list(team_list(user=request.user)),
        "columns": [
            (status, labels[status], column) for status, column in board["columns"].items()
        ],
        "owners": board["owners"],
        "is_htmx": _is_htmx(request),
        "today": timezone.localdate(),
        "notice": None,
    }


def _transition_buttons() -> dict[str, list[tuple[str, str]]]:
    labels = dict(ActionItemStatus.choices)
    return {
        status: [(to, labels[to]) for to in allowed]
        for status, allowed in services.ACTION_ITEM_TRANSITIONS.items()
    }


def _with_next_statuses(items: list[Any]) -> list[Any]:
    transitions = _transition_buttons()
    for item in items:
        item.next_statuses = transitions[item.status]
    return items


def action_item_board_page(request: HttpRequest) -> HttpResponse:
    context = _board_context(request)
    if _is_htmx(request):
        return render(request, "action_items/_board.html", context)
    return render(request, "action_items/board.html", context)


@require_POST
def action_item_status(request: HttpRequest, item_id: int) -> HttpResponse:
    try:
        item = selectors.action_item_get(user=request.user, item_id=item_id)
    except NotFound as error:
        raise _not_found(error) from None
    try:
        item = services.action_item_set_status(
            item=item,
            actor=request.user,
            status=request.POST.get("status", ""),
            reason=request.POST.get("reason", ""),
        )
    except DomainError as error:
        notice, failed = _plain_error(error, subject=f"“{item.title}”"), True
    else:
        label = dict(ActionItemStatus.choices)[item.status]
        notice, failed = f"“{item.title}” is now {str(label).lower()}.", False
    back_to_postmortem = request.POST.get("from") == "postmortem" and item.postmortem_id
    if _is_htmx(request):
        # The answer swaps one part of the page; its message is shown in that part.
        if back_to_postmortem:
            context = _postmortem_context(request, item.postmortem_id)
            context["action_items_notice"] = {"text": notice, "error": failed}
            return render(request, "postmortems/_action_items.html", context)
        context = _board_context(request)
        context["notice"] = {"text": notice, "error": failed}
        return render(request, "action_items/_board.html", context)
    (messages.error if failed else messages.success)(request, notice)
    if back_to_postmortem:
        return redirect("web:postmortem-detail", postmortem_id=item.postmortem_id)
    query = request.GET.urlencode()
    return redirect(reverse("web:action-item-board") + (f"?{query}" if query else ""))


# --- postmortems ----------------------------------------------------------------------


def postmortem_list_page(request: HttpRequest) -> HttpResponse:
    params = request.GET
    postmortems = selectors.postmortem_list(user=request.user)
    team = _team_param(request)
    if team is not None:
        postmortems = postmortems.filter(incident__team=team)
    if params.get("status") in PostmortemStatus.values:
        postmortems = postmortems.filter(status=params["status"])
    if params.get("breached") in ("1", "true", "on"):
        postmortems = postmortems.exclude(sla_breached_at=None)
    page = Paginator(postmortems, PAGE_SIZE).get_page(params.get("page"))
    query = params.copy()
    query.pop("page", None)
    return render(
        request,
        "postmortems/list.html",
        {
            "page": page,
            "teams": list(team_list(user=request.user)),
            "statuses": PostmortemStatus.choices,
            "params": params,
            "team": team,
            "query": query.urlencode(),
        },
    )


def _postmortem_or_404(request: HttpRequest, postmortem_id: Any) -> Postmortem:
    try:
        return selectors.postmortem_get(user=request.user, postmortem_id=postmortem_id)
    except NotFound as error:
        raise _not_found(error) from None


def _sections(postmortem: Postmortem, by_field: dict[str, list[Any]]) -> list[dict[str, Any]]:
    """The sections in the order of postmortems.sections, for the editor and the print
    view: a text section with its value, figures and blameless warnings; a rows section
    is shown from the context's ``timeline``, ``whys`` and ``fishbone``."""
    return [
        {
            "name": section.name,
            "kind": section.kind.value,
            "label": section.full_label,
            "help_text": section.help_text,
            "value": getattr(postmortem, section.name)
            if section.kind == sections.SectionKind.TEXT
            else None,
            "warnings": by_field.get(section.name, []),
            "figures": [
                {"name": f.name, "label": f.label, "value": getattr(postmortem, f.name)}
                for f in section.figures
            ],
        }
        for section in sections.SECTIONS
    ]


def _postmortem_context(request: HttpRequest, postmortem_id: Any) -> dict[str, Any]:
    postmortem = _postmortem_or_404(request, postmortem_id)
    warnings = selectors.postmortem_blameless_warnings(postmortem=postmortem)
    by_field: dict[str, list[Any]] = {}
    for warning in warnings:
        by_field.setdefault(warning.field, []).append(warning)
    whys = [
        {
            "why": why,
            "number": index + 1,
            "warnings": by_field.get(f"whys[{index}].question", [])
            + by_field.get(f"whys[{index}].answer", []),
        }
        for index, why in enumerate(postmortem.whys.all())
    ]
    factors = list(postmortem.contributing_factors.all())
    factor_warnings = {
        factor.pk: by_field.get(f"contributing_factors[{index}].description", [])
        for index, factor in enumerate(factors)
    }
    fishbone: OrderedDict[str, dict[str, Any]] = OrderedDict(
        (value, {"label": label, "factors": []}) for value, label in FactorCategory.choices
    )
    for factor in factors:
        fishbone[factor.category]["factors"].append(
            {"factor": factor, "warnings": factor_warnings[factor.pk]}
        )
    return {
        "postmortem": postmortem,
        "incident": postmortem.incident,
        "warnings": warnings,
        "sections": _sections(postmortem, by_field),
        "whys": whys,
        "fishbone": list(fishbone.values()),
        "factor_categories": FactorCategory.choices,
        "timeline": [
            {
                "entry": entry,
                "value": timezone.localtime(entry.occurred_at, datetime.UTC).strftime(
                    TIMELINE_FORMAT
                ),
            }
            for entry in postmortem.timeline_entries.all()
        ],
        "action_items": _with_next_statuses(list(postmortem.action_items.all())),
        "is_htmx": _is_htmx(request),
        "members": [m.user for m in team_membership_list(team=postmortem.incident.team)],
        "priorities": ActionItemPriority.choices,
        "kinds": ActionItemKind.choices,
        "problems": services.postmortem_publish_problems(postmortem=postmortem),
        "reviewers": list(postmortem.reviewers.all()),
        "amendments": list(postmortem.amendments.all()),
        # Set by an inline form's answer (see _answer): its message, the values to put
        # back in the form, and whether the workflow box is swapped along.
        "notice": None,
        "action_items_notice": None,
        "posted": {},
        "oob": False,
        "focus_add": False,
    }


def postmortem_detail(request: HttpRequest, postmortem_id: int) -> HttpResponse:
    return render(request, "postmortems/detail.html", _postmortem_context(request, postmortem_id))


def postmortem_print(request: HttpRequest, postmortem_id: int) -> HttpResponse:
    return render(request, "postmortems/print.html", _postmortem_context(request, postmortem_id))


def _parse_figure(figure: sections.Figure, raw: str) -> int | Decimal | None:
    raw = raw.strip()
    if not raw:
        return None
    try:
        if figure.kind == sections.FigureKind.MONEY:
            value: int | Decimal = Decimal(raw)
            if not value.is_finite() or value < 0 or value >= Decimal("1e12"):
                raise InvalidOperation
            return value.quantize(Decimal("0.01"))
        value = int(raw)
        if not 0 <= value <= 2_147_483_647:
            raise ValueError
        return value
    except (ValueError, InvalidOperation):
        raise InvalidInput(
            "Invalid number.", errors={figure.name: ["Enter a whole number of zero or more."]}
        ) from None


def _row_id(raw: str) -> int | None:
    try:
        return int(raw) if raw else None
    except ValueError:
        raise InvalidInput("Invalid row.", errors={"rows": ["Unknown row."]}) from None


def _rows(
    request: HttpRequest, prefix: str, names: tuple[str, ...], extra: tuple[str, ...] = ()
) -> list[dict[str, str]]:
    """Rows posted as parallel lists (``why-id``, ``why-question``…); a row whose values
    in ``names`` are all blank is dropped, which is how a row is removed."""
    columns = {name: request.POST.getlist(f"{prefix}-{name}") for name in ("id", *names, *extra)}
    count = max(len(values) for values in columns.values())
    rows = []
    for index in range(count):
        row = {
            name: (values[index] if index < len(values) else "").strip()
            for name, values in columns.items()
        }
        if any(row[name] for name in names):
            rows.append(row)
    return rows


def _edit_fields(request: HttpRequest, postmortem: Postmortem) -> dict[str, Any]:
    """What the editor posted, as postmortem_update takes it. A section, figure or list
    that is not in the form is left as it is."""
    post = request.POST
    fields: dict[str, Any] = {name: post[name] for name in sections.TEXT_FIELDS if name in post}
    for figure in sections.FIGURES:
        if figure.name in post:
            fields[figure.name] = _parse_figure(figure, post[figure.name])
    if post.get("owner"):
        fields["owner"] = _posted_owner(post["owner"], postmortem)
    if "why-question" in post:
        fields["whys"] = _posted_whys(request)
    if "factor-description" in post:
        fields["contributing_factors"] = _posted_factors(request)
    if "entry-description" in post:
        fields["timeline_entries"] = _posted_timeline(request, postmortem)
    return fields


def _posted_owner(raw: str, postmortem: Postmortem) -> Any:
    members = {str(m.user_id): m.user for m in team_membership_list(team=postmortem.incident.team)}
    if raw not in members:
        raise InvalidInput("Invalid owner.", errors={"owner": ["Choose a team member."]})
    return members[raw]


def _posted_whys(request: HttpRequest) -> list[dict[str, Any]]:
    return [
        {"id": _row_id(row["id"]), "question": row["question"], "answer": row["answer"]}
        for row in _rows(request, "why", ("question", "answer"))
    ]


def _posted_factors(request: HttpRequest) -> list[dict[str, Any]]:
    factors = []
    for row in _rows(request, "factor", ("description",), ("category",)):
        if row["category"] not in FactorCategory.values:
            raise InvalidInput(
                "Invalid category.", errors={"contributing_factors": ["Choose a category."]}
            )
        factors.append(
            {
                "id": _row_id(row["id"]),
                "category": row["category"],
                "description": row["description"],
            }
        )
    return factors


def _posted_timeline(request: HttpRequest, postmortem: Postmortem) -> list[dict[str, Any]]:
    existing = {e.pk: e for e in postmortem.timeline_entries.all()}
    entries = []
    for row in _rows(request, "entry", ("occurred_at", "description")):
        row_id = _row_id(row["id"])
        occurred_at = _parse_instant(row["occurred_at"], existing.get(row_id))
        entries.append(
            {"id": row_id, "occurred_at": occurred_at, "description": row["description"]}
        )
    return entries


def _parse_instant(raw: str, entry: Any) -> datetime.datetime:
    # The editor shows UTC to the second; an unchanged value keeps the exact original.
    if entry is not None and raw == timezone.localtime(entry.occurred_at, datetime.UTC).strftime(
        TIMELINE_FORMAT
    ):
        return entry.occurred_at
    try:
        value = parse_datetime(raw) if raw else None
    except ValueError:
        value = None
    if value is not None and not 1971 <= value.year <= 9000:
        value = None
    if value is None:
        raise InvalidInput(
            "Invalid time.",
            errors={"timeline_entries": ["Give each entry a time (YYYY-MM-DDTHH:MM, UTC)."]},
        )
    if timezone.is_naive(value):
        value = value.replace(tzinfo=datetime.UTC)
    return value


@require_POST
def postmortem_action(request: HttpRequest, postmortem_id: int, action: str) -> HttpResponse:
    postmortem = _postmortem_or_404(request, postmortem_id)
    try:
        if action == "save":
            fields = _edit_fields(request, postmortem)
            services.postmortem_update(
                postmortem=postmortem,
                actor=request.user,
                amendment_reason=request.POST.get("amendment_reason", ""),
                **fields,
            )
            messages.success(request, "Saved.")
        elif action == "submit":
            services.postmortem_submit(postmortem=postmortem, actor=request.user)
            messages.success(request, "Submitted for review.")
        elif action == "request-changes":
            services.postmortem_request_changes(
                postmortem=postmortem, actor=request.user, reason=request.POST.get("reason", "")
            )
            messages.success(request, "Sent back to draft.")
        elif action == "publish":
            services.postmortem_publish(
                postmortem=postmortem,
                actor=request.user,
                confirm_blameless_warnings=request.POST.get("confirm_blameless_warnings")
                in ("1", "on", "true"),
            )
            messages.success(request, "Published.")
        else:
            raise Http404("Unknown action.")
    except DomainError as error:
        messages.error(request, _plain_error(error))
    return redirect("web:postmortem-detail", postmortem_id=postmortem.pk)


@require_POST
def postmortem_add_action_item(request: HttpRequest, postmortem_id: int) -> HttpResponse:
    postmortem = _postmortem_or_404(request, postmortem_id)
    post = request.POST
    owner = (
        get_user_model()
        .objects.filter(
            team_memberships__team=postmortem.incident.team, pk=_safe_int(post.get("owner"))
        )
        .first()
    )
    due_date = _safe_date(post.get("due_date", ""))
    try:
        if owner is None:
            raise InvalidInput("Choose an owner from the team.")
        if due_date is None:
            raise InvalidInput("Give a due date.")
        item = services.action_item_create(
            actor=request.user,
            postmortem=postmortem,
            title=post.get("title", ""),
            owner=owner,
            priority=post.get("priority", ""),
            due_date=due_date,
            kind=post.get("kind") or ActionItemKind.CORRECTIVE,
            description=post.get("description", ""),
        )
        notice, failed = f"Action item “{item.title}” added.", False
    except DomainError as error:
        notice, failed = _plain_error(error), True
    return _answer(
        request, postmortem.pk, "postmortems/_action_items.html", notice, failed, keep=failed
    )


@require_POST
def action_item_remove(request: HttpRequest, item_id: int) -> HttpResponse:
    try:
        item = selectors.action_item_get(user=request.user, item_id=item_id)
    except NotFound as error:
        raise _not_found(error) from None
    try:
        services.action_item_remove(item=item, actor=request.user)
        notice, failed = f"Action item “{item.title}” removed.", False
    except DomainError as error:
        notice, failed = _plain_error(error), True
    if item.postmortem_id:
        return _answer(
            request, item.postmortem_id, "postmortems/_action_items.html", notice, failed
        )
    (messages.error if failed else messages.success)(request, notice)
    return redirect("web:action-item-board")


# --- one section or one row at a time (htmx swaps only that section) -----------------

# The URL's name of a rows section -> (the section, its fragment).
ROW_SECTIONS: dict[str, tuple[str, str]] = {
    "whys": ("whys", "postmortems/_whys.html"),
    "factors": ("contributing_factors", "postmortems/_fishbone.html"),
    "timeline": ("timeline_entries", "postmortems/_timeline.html"),
}
_ANCHORS = {
    "postmortems/_whys.html": "whys",
    "postmortems/_fishbone.html": "fishbone",
    "postmortems/_timeline.html": "timeline",
    "postmortems/_action_items.html": "postmortem-action-items",
}
_ROW_NOUNS = {"whys": "Why", "contributing_factors": "Factor", "timeline_entries": "Entry"}
LOCAL_INPUT_FORMAT = "%Y-%m-%dT%H:%M"  # what <input type="datetime-local"> sends


def _answer(
    request: HttpRequest,
    postmortem_id: int,
    fragment: str,
    notice: str,
    failed: bool,
    *,
    keep: bool = False,
    focus: bool = False,
    section: str | None = None,
) -> HttpResponse:
    """With htmx: the changed section alone, its message in it (and the workflow box,
    whose checks depend on every section, out of band). Without: a message and the page
    again, scrolled to the section. ``keep`` puts the posted values back in the add form
    (the write was refused, nothing is lost); ``focus`` puts the cursor back in the add
    form, to add the next row."""
    text_section = section if section in sections.TEXT_FIELDS else None
    anchor = f"section-{text_section}" if text_section else _ANCHORS[fragment]
    if not _is_htmx(request):
        (messages.error if failed else messages.success)(request, notice)
        return redirect(reverse("web:postmortem-detail", args=[postmortem_id]) + f"#{anchor}")
    context = _postmortem_context(request, postmortem_id)
    context["notice"] = {"text": notice, "error": failed}
    context["posted"] = request.POST if keep else {}
    context["oob"] = True
    context["focus_add"] = focus and not failed
    if section is not None:
        shown = next(x for x in context["sections"] if x["name"] == section)
        if keep and text_section:  # show what was typed, not what is stored
            shown["value"] = request.POST.get(section, shown["value"])
            for figure in shown["figures"]:
                figure["value"] = request.POST.get(figure["name"], figure["value"])
        context["s"] = shown
    return render(request, fragment, context)


def _row_section(slug: str) -> tuple[str, str]:
    if slug not in ROW_SECTIONS:
        raise Http404("No such section.")
    return ROW_SECTIONS[slug]


def _local_instant(raw: str, entry: Any = None) -> datetime.datetime:
    """A time typed in the reader's own zone (the zone the request activated); an
    unchanged value keeps the stored instant to the second."""
    raw = raw.strip()
    if entry is not None and raw == timezone.localtime(entry.occurred_at).strftime(
        LOCAL_INPUT_FORMAT
    ):
        return entry.occurred_at
    try:
        value = parse_datetime(raw) if raw else None
    except ValueError:
        value = None
    if value is None or not 1971 <= value.year <= 9000:
        raise InvalidInput("Give the entry a date and a time, like 2026-01-31 14:05.")
    if timezone.is_naive(value):
        value = timezone.make_aware(value, timezone.get_current_timezone())
    return value


def _posted_row(request: HttpRequest, section: str, entry: Any = None) -> dict[str, Any]:
    post = request.POST
    if section == "whys":
        return {"question": post.get("question", ""), "answer": post.get("answer", "")}
    if section == "contributing_factors":
        return {"category": post.get("category", ""), "description": post.get("description", "")}
    return {
        "occurred_at": _local_instant(post.get("occurred_at", ""), entry),
        "description": post.get("description", ""),
    }


@require_POST
def postmortem_row_add(request: HttpRequest, postmortem_id: int, section: str) -> HttpResponse:
    name, fragment = _row_section(section)
    postmortem = _postmortem_or_404(request, postmortem_id)
    try:
        services.postmortem_row_save(
            postmortem=postmortem,
            actor=request.user,
            section=name,
            values=_posted_row(request, name),
            amendment_reason=request.POST.get("amendment_reason", ""),
        )
        notice, failed = f"{_ROW_NOUNS[name]} added.", False
    except DomainError as error:
        notice, failed = _plain_error(error), True
    return _answer(
        request, postmortem.pk, fragment, notice, failed, keep=failed, focus=True, section=name
    )


def _row_or_404(postmortem: Postmortem, section: str, row_id: int) -> Any:
    row = getattr(postmortem, section).filter(pk=row_id).first()
    if row is None:
        raise Http404("That row is no longer there.")
    return row


@require_POST
def postmortem_row_save(
    request: HttpRequest, postmortem_id: int, section: str, row_id: int
) -> HttpResponse:
    name, fragment = _row_section(section)
    postmortem = _postmortem_or_404(request, postmortem_id)
    row = _row_or_404(postmortem, name, row_id)
    try:
        services.postmortem_row_save(
            postmortem=postmortem,
            actor=request.user,
            section=name,
            row_id=row.pk,
            values=_posted_row(request, name, row),
            amendment_reason=request.POST.get("amendment_reason", ""),
        )
        notice, failed = f"{_ROW_NOUNS[name]} saved.", False
    except DomainError as error:
        notice, failed = _plain_error(error), True
    return _answer(request, postmortem.pk, fragment, notice, failed, section=name)


@require_POST
def postmortem_row_remove(
    request: HttpRequest, postmortem_id: int, section: str, row_id: int
) -> HttpResponse:
    name, fragment = _row_section(section)
    postmortem = _postmortem_or_404(request, postmortem_id)
    row = _row_or_404(postmortem, name, row_id)
    try:
        services.postmortem_row_remove(
            postmortem=postmortem,
            actor=request.user,
            section=name,
            row_id=row.pk,
            amendment_reason=request.POST.get("amendment_reason", ""),
        )
        notice, failed = f"{_ROW_NOUNS[name]} removed.", False
    except DomainError as error:
        notice, failed = _plain_error(error), True
    return _answer(request, postmortem.pk, fragment, notice, failed, section=name)


@require_POST
def postmortem_section_save(request: HttpRequest, postmortem_id: int, name: str) -> HttpResponse:
    """One text section and its figures."""
    if name not in sections.TEXT_FIELDS:
        raise Http404("No such section.")
    postmortem = _postmortem_or_404(request, postmortem_id)
    section = sections.section(name)
    try:
        fields: dict[str, Any] = {name: request.POST.get(name, "")}
        for figure in section.figures:
            if figure.name in request.POST:
                fields[figure.name] = _parse_figure(figure, request.POST[figure.name])
        services.postmortem_update(
            postmortem=postmortem,
            actor=request.user,
            amendment_reason=request.POST.get("amendment_reason", ""),
            **fields,
        )
        notice, failed = f"{section.full_label} saved.", False
    except DomainError as error:
        notice, failed = _plain_error(error), True
    return _answer(
        request,
        postmortem.pk,
        "postmortems/_text_section.html",
        notice,
        failed,
        keep=failed,
        section=name,
    )


def postmortem_markdown(request: HttpRequest, postmortem_id: int) -> HttpResponse:
    """The Markdown export (the API's ``…/markdown/``), as a file to download."""
    postmortem = _postmortem_or_404(request, postmortem_id)
    response = HttpResponse(
        markdown.render(postmortem), content_type="text/markdown; charset=utf-8"
    )
    stem = re.sub(r"[^A-Za-z0-9-]+", "-", postmortem.incident.reference).strip("-") or "incident"
    response["Content-Disposition"] = f'attachment; filename="postmortem-{stem}.md"'
    return response


def _safe_int(raw: Any) -> int | None:
    try:
        return int(raw)
    except (TypeError, ValueError):
        return None


def _safe_date(raw: str) -> datetime.date | None:
    try:
        return parse_date(raw.strip())
    except ValueError:
        return None
