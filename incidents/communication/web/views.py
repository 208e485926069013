"""The public status page and its Atom feed: no login, nothing private
(``incidents.communication.selectors`` says what is public)."""

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.shortcuts import render
from django.utils.feedgenerator import Atom1Feed
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

from incidents.communication.selectors import status_feed_items, status_page


@require_GET
@cache_control(public=True, max_age=30)
def status_page_view(request):
    page = status_page()
    return render(request, "status/page.html", {"page": page, "title": settings.STATUS_PAGE_TITLE})


class StatusFeed(Feed):
    feed_type = Atom1Feed

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
        return f"{item['incident']['title']} ({item['update']['status']})"

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
