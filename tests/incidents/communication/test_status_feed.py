"""The status page's Atom feed as feed readers see it (feedparser): every entry has an
author (RFC 4287), and an update's text is plain text, so markup typed into a public
update is shown as typed, never rendered."""

from xml.etree import ElementTree

import feedparser
import pytest

from incidents import services
from incidents.communication.services.updates import status_update_post
from incidents.models import Severity
from tests.incidents.factories import ServiceFactory

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"
MARKUP = '<b>x</b> & <script>alert("hi")</script>'


@pytest.fixture
def published(team, member):
    checkout = ServiceFactory(team=team, name="Checkout", slug="checkout", public=True)
    incident = services.incident_create(
        actor=member,
        team=team,
        title="Checkout errors",
        severity=Severity.objects.get(name="SEV2"),
        services=[checkout],
    )
    status_update_post(
        incident=incident, actor=member, message=f"Investigating {MARKUP}", audience="public"
    )
    return incident


def test_feed_and_every_entry_have_an_author(client, published, settings):
    settings.STATUS_PAGE_TITLE = "Acme status"
    response = client.get("/status/feed.atom")
    feed = ElementTree.fromstring(response.content)  # noqa: S314 - our own response
    assert feed.findtext(f"{ATOM}author/{ATOM}name") == "Acme status"
    entries = feed.findall(f"{ATOM}entry")
    assert entries
    assert [e.findtext(f"{ATOM}author/{ATOM}name") for e in entries] == ["Acme status"]
    parsed = feedparser.parse(response.content)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.feed.author == "Acme status"
    assert [entry.author for entry in parsed.entries] == ["Acme status"]


def test_without_a_title_the_author_is_tocsin(client, published, settings):
    settings.STATUS_PAGE_TITLE = ""
    parsed = feedparser.parse(client.get("/status/feed.atom").content)
    assert parsed.feed.author == "Tocsin"


def test_markup_in_an_update_is_text_not_html(client, published):
    response = client.get("/status/feed.atom")
    feed = ElementTree.fromstring(response.content)  # noqa: S314 - our own response
    [summary] = feed.findall(f"{ATOM}entry/{ATOM}summary")
    assert summary.get("type") == "text"
    assert MARKUP in summary.text  # the characters as typed (escaped in the XML)
    assert b"<b>" not in response.content  # never raw markup in the document

    [entry] = feedparser.parse(response.content).entries
    assert entry.summary_detail.type == "text/plain"
    # Plain text: a reader shows exactly what was typed, tags as characters (as HTML,
    # feedparser would have rendered the <b> and dropped the script).
    assert entry.summary.startswith(f"Investigating {MARKUP}\n")
