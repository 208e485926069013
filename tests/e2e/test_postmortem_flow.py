"""An owner writes a postmortem in the browser, at phone and laptop sizes: from the home
page to a resolved incident's postmortem, five whys added one after another, a fishbone
factor and an action item, all without a page load; then the Markdown export, the print
view, the metrics and their definitions. Screenshots go to test-artifacts/screenshots/."""

import datetime
from pathlib import Path

import pytest
from playwright.sync_api import expect

from postmortems import services as postmortem_services
from postmortems.models import Postmortem
from tests.e2e.conftest import PASSWORD, fits_the_screen, sign_in
from tests.oncall.factories import TeamFactory, member_of
from tests.postmortems.factories import resolved_incident

WHYS = [
    ("Why did checkout fail?", "The database connection pool was exhausted."),
    ("Why was the pool exhausted?", "A config change lowered its limit to 5."),
    ("Why was the limit lowered?", "The default in the new chart version changed."),
    ("Why did nothing catch it?", "No check validates the pool size before a deploy."),
    ("Why is there no check?", "Config values have no schema in the pipeline."),
]


def _go(page, name):
    """Follow a link of the main navigation, opening the phone menu first if needed."""
    toggle = page.locator(".menu-toggle")
    if toggle.count() and toggle.is_visible():
        toggle.click()
    page.locator("#site-nav").get_by_role("link", name=name, exact=True).click()
    page.wait_for_load_state("networkidle")


def _snap(shoot, page, name):
    """A screenshot, then the page as it was: Playwright's screenshot leaves an empty
    ``style=""`` on the inputs (it hides the caret), which htmx would copy when it swaps
    a section in, and the Content-Security-Policy would refuse. No real browser adds it."""
    shoot(page, name)
    page.evaluate(
        "document.querySelectorAll('[style=\"\"]').forEach(e => e.removeAttribute('style'))"
    )


def _still_the_same_page(page):
    assert page.evaluate("window.tocsinMarker") == "set before editing", "the page reloaded"


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("size", ["phone", "laptop"])
def test_write_a_postmortem_inline_then_export_print_and_read_the_metrics(
    live_server, browser, shoot, size
):
    team = TeamFactory(name="Payments", slug="payments", key="PAY")
    alice = member_of(team, "alice")
    alice.set_password(PASSWORD)
    alice.save()
    incident = resolved_incident(team=team, actor=alice, title="Checkout returns 502")
    postmortem = Postmortem.objects.get(incident=incident)
    postmortem_services.postmortem_update(postmortem=postmortem, actor=alice, owner=alice)

    page = browser.new_page(size)
    sign_in(page, live_server.url, "alice")
    # The home page lists the postmortems I owe; follow it to the postmortem.
    owed = page.locator("#postmortems-owed")
    owed.get_by_role("link", name="postmortem").click()
    page.wait_for_url(f"**/postmortems/{postmortem.pk}/")
    assert "Checkout returns 502" in page.locator("h1").inner_text()
    fits_the_screen(page)
    _snap(shoot, page, f"pm-01-{size}-postmortem")

    page.evaluate("window.tocsinMarker = 'set before editing'")
    for number, (question, answer) in enumerate(WHYS, start=1):
        page.fill("#new-why-question", question)
        page.fill("#new-why-answer", answer)
        page.click("#add-why-button")
        page.wait_for_selector(f"#why-list > li:nth-child({number}):has-text('{question}')")
        assert page.locator("#whys-notice").inner_text() == "Why added."
        _still_the_same_page(page)
    assert page.locator("#why-list > li").count() == 5
    # The add form is ready for the next why, with the cursor in it.
    assert page.locator("#new-why-question").input_value() == ""
    expect(page.locator("#new-why-question")).to_be_focused()
    page.locator("#whys").scroll_into_view_if_needed()
    _snap(shoot, page, f"pm-02-{size}-five-whys")

    page.select_option("#new-factor-category", label="Technology")
    page.fill("#new-factor-description", "The pipeline does not validate pool sizes")
    page.click("#add-factor-button")
    page.wait_for_selector("#fishbone .bone:has-text('The pipeline does not validate pool sizes')")
    _still_the_same_page(page)

    page.fill("#new-item-title", "Validate pool sizes in the deploy pipeline")
    page.select_option("#new-item-owner", label="alice")
    page.select_option("#new-item-priority", label="P1 (high)")
    page.fill("#new-item-due", (datetime.date.today() + datetime.timedelta(days=14)).isoformat())
    page.click("#add-action-item-button")
    page.wait_for_selector("#postmortem-action-items tr:has-text('Validate pool sizes')")
    _still_the_same_page(page)
    fits_the_screen(page)
    page.locator("#postmortem-action-items").scroll_into_view_if_needed()
    _snap(shoot, page, f"pm-03-{size}-factor-and-action-item")

    # What the browser did is what the database holds.
    assert [w.question for w in postmortem.whys.all()] == [q for q, _ in WHYS]
    assert postmortem.contributing_factors.get().category == "technology"
    assert postmortem.action_items.get().title == "Validate pool sizes in the deploy pipeline"

    with page.expect_download() as download_info:
        page.click("#export-markdown")
    download = download_info.value
    assert download.suggested_filename == f"postmortem-{incident.reference}.md"
    markdown = Path(download.path()).read_text(encoding="utf-8")
    assert markdown.startswith(f"# Postmortem: {incident.reference} Checkout returns 502")
    assert "Config values have no schema in the pipeline." in markdown
    _still_the_same_page(page)

    page.click("#print-view")
    page.wait_for_url(f"**/postmortems/{postmortem.pk}/print/")
    assert page.locator("button[data-print]").is_visible()
    assert "Validate pool sizes in the deploy pipeline" in page.content()
    fits_the_screen(page)
    _snap(shoot, page, f"pm-04-{size}-print")
    page.go_back()
    page.wait_for_url(f"**/postmortems/{postmortem.pk}/")

    _go(page, "Metrics")
    assert page.locator("#incident-count").inner_text() == "1"
    assert page.locator("#pages-per-engineer").is_visible()
    fits_the_screen(page)
    _snap(shoot, page, f"pm-05-{size}-metrics")
    page.click("#metric-definitions-link")
    page.wait_for_url("**/metrics/definitions/")
    assert page.locator("#mtta").is_visible()
    fits_the_screen(page)
    _snap(shoot, page, f"pm-06-{size}-metric-definitions")

    _go(page, "Action items")
    assert page.locator("#board .item:has-text('Validate pool sizes')").count() == 1
    fits_the_screen(page)
    _snap(shoot, page, f"pm-07-{size}-action-item-board")

    assert page.console_errors == []  # a CSP violation would be reported here
    assert page.bad_responses == []
