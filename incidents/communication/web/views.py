"""The public status page and its Atom feed (no login, nothing private:
``incidents.communication.selectors`` says what is public), and the incident page's
"Share update" (``share_update``, with a live ``share_update_preview`` of the status
page's card; the section itself is in ``web/sections.py``)."""

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.syndication.views import Feed
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET, require_POST

from common.errors import DomainError, NotFound
from incidents import selectors as incident_selectors
from incidents.communication.models import StatusPageState, UpdateAudience
from incidents.communication.selectors import (
    StatusPagePresence,
    incident_status_page_presence,
    status_card_preview,
    status_feed_items,
    status_page,
)
from incidents.communication.services import stakeholder_emails, status_update_share
from incidents.communication.web.forms import ShareUpdateForm
from incidents.models import Incident


@require_GET
@cache_control(public=True, max_age=30)
def status_page_view(request):
    page = status_page()
    return render(request, "status/page.html", {"page": page, "title": settings.STATUS_PAGE_TITLE})


class _PlainTextAtom1Feed(Atom1Feed):
    """Atom whose entry summaries are plain text (``type="text"``): an update is what a
    person typed, so markup in it must be shown as typed, never rendered by a reader
    (Django's Atom1Feed marks summaries as HTML)."""

    def add_item_elements(self, handler, item) -> None:
        super().add_item_elements(handler, {**item, "description": None})
        if item["description"] is not None:
            handler.addQuickElement("summary", item["description"], {"type": "text"})


def _feed_author() -> str:
    return settings.STATUS_PAGE_TITLE or "Tocsin"


class StatusFeed(Feed):
    feed_type = _PlainTextAtom1Feed

    # RFC 4287: a feed without an author must give one in every entry; both have it.
    def author_name(self) -> str:
        return _feed_author()

    def item_author_name(self, item) -> str:
        return _feed_author()

    # Absolute links from SITE_URL (the sites framework's default domain is example.com).
    def link(self) -> str:
        return f"{settings.SITE_URL}/status/"

    def feed_url(self) -> str:
        return f"{settings.SITE_URL}/status/feed.atom"

    def title(self) -> str:
        return settings.STATUS_PAGE_TITLE

    def subtitle(self) -> str:
        return "Public updates on incidents affecting our services."

    def items(self):
        return status_feed_items()[:100]

    def item_title(self, item) -> str:
        return f"{item['incident']['title']} ({item['update']['status_label']})"

    def item_description(self, item) -> str:
        services = ", ".join(item["incident"]["services"])
        return f"{item['update']['message']}\n\nAffected: {services}"

    def item_link(self, item) -> str:
        return f"{settings.SITE_URL}/status/#incident-{item['incident']['id']}"

    def item_guid(self, item) -> str:
        return f"{settings.SITE_URL}/status/#update-{item['update']['id']}"

    item_guid_is_permalink = False

    def item_pubdate(self, item):
        return item["update"]["created_at"]

    def item_updateddate(self, item):
        return item["update"]["created_at"]


# --- the incident page's "Share update" ------------------------------------------------


def _incident_or_404(request: HttpRequest, incident_id: Any) -> Incident:
    try:
        return incident_selectors.incident_get(user=request.user, incident_id=incident_id)
    except NotFound as error:
        raise Http404(error.detail) from None


def _not_on_status_page(presence: StatusPagePresence) -> str:
    """Why the status page will not show the incident ("" if it can)."""
    if presence.incident.private:
        return "This incident is private: the status page never shows it."
    if not presence.public_services:
        return (
            "None of this incident's services is public, so the status page does not "
            "show it. Add a public service to the incident to announce it there."
        )
    return ""


def _recipients(presence: StatusPagePresence) -> int:
    incident = presence.incident
    return 0 if incident.private else len(stakeholder_emails(team_id=incident.team_id))


def _preview_context(
    presence: StatusPagePresence,
    *,
    audience: str,
    message: str = "",
    status_page_state: str | None = None,
    public_title: str | None = None,
    recipients: int,
) -> dict[str, Any]:
    return {
        "audience": audience,
        "not_on_page": _not_on_status_page(presence),
        "published": presence.published,
        "card": status_card_preview(
            presence=presence,
            # Only a public update reaches the status page.
            message=message if audience == UpdateAudience.PUBLIC else "",
            status_page_state=status_page_state,
            public_title=public_title,
        ),
        "recipients": recipients,
    }


def share_update_context(
    request: HttpRequest,
    incident: Incident,
    *,
    form: ShareUpdateForm | None = None,
    shared: Any = None,
) -> dict[str, Any]:
    """What the composer renders: the form, the preview of the status page's card, and
    whether the incident is on the status page yet (a fixed number of queries)."""
    presence = incident_status_page_presence(incident=incident)
    form = form or ShareUpdateForm(presence=presence)
    recipients = _recipients(presence)
    audience = str(form["audience"].value() or UpdateAudience.INTERNAL)
    return {
        "incident": incident,
        "form": form,
        "shared": shared,
        "shared_text": _shared_text(shared) if shared else "",
        "published": presence.published,
        "not_on_page": _not_on_status_page(presence),
        "recipients": recipients,
        "preview": _preview_context(
            presence,
            audience=audience,
            message=str(form["message"].value() or "") if form.is_bound else "",
            status_page_state=_state_or_none(form["status_page_state"].value())
            if form.is_bound
            else None,
            public_title=form["public_title"].value() if form.is_bound else None,
            recipients=recipients,
        ),
    }


def _state_or_none(value: Any) -> str | None:
    if value is None:
        return None
    return value if value in ("", *StatusPageState.values) else None


@require_POST
def share_update(request: HttpRequest, incident_id: int) -> HttpResponse:
    incident = _incident_or_404(request, incident_id)
    form = ShareUpdateForm(request.POST, presence=incident_status_page_presence(incident=incident))
    shared = None
    if form.is_valid():
        try:
            shared = status_update_share(
                incident=incident,
                actor=request.user,
                message=form.cleaned_data["message"],
                audience=form.cleaned_data["audience"],
                communication=form.communication(),
            )
        except DomainError as error:
            for field, errors in error.errors.items():
                for text in errors:
                    form.add_error(field if field in form.fields else None, text)
            if not error.errors:
                form.add_error(None, error.detail)
    if request.headers.get("HX-Request"):
        context = share_update_context(
            request, incident, form=None if shared else form, shared=shared
        )
        response = render(request, "incidents/_share_update.html", {"section": context})
        if shared:
            # The page's live region (status, timeline) refreshes itself on this event.
            response["HX-Trigger"] = "incident-changed"
        return response
    if shared:
        messages.success(request, _shared_text(shared))
    else:
        problems = [e for errors in form.errors.values() for e in errors]
        messages.error(request, "The update was not shared. " + " ".join(problems))
    return redirect(reverse("web:incident-detail", args=[incident.pk]) + "#share-update")


def _shared_text(update: Any) -> str:
    return {
        UpdateAudience.PUBLIC: "Public update shared: it is on the status page.",
        UpdateAudience.STAKEHOLDERS: "Update e-mailed to the stakeholders.",
        UpdateAudience.INTERNAL: "Internal update posted on the timeline.",
    }[update.audience]


@require_POST
def share_update_preview(request: HttpRequest, incident_id: int) -> HttpResponse:
    """The status page's card as it would be with what the composer holds now (nothing
    is saved). Bad values are ignored, never an error: the form says what is wrong."""
    incident = _incident_or_404(request, incident_id)
    presence = incident_status_page_presence(incident=incident)
    audience = request.POST.get("audience", "")
    if audience not in UpdateAudience.values:
        audience = UpdateAudience.INTERNAL
    context = _preview_context(
        presence,
        audience=audience,
        message=request.POST.get("message", "")[:10_000],
        status_page_state=_state_or_none(request.POST.get("status_page_state")),
        public_title=request.POST.get("public_title", "")[:255],
        recipients=_recipients(presence),
    )
    return render(request, "status/_preview.html", context)
