"""An incident from declaration to resolution in the browser, at phone and laptop sizes,
clicking like a person: from the home page to an incident, "Declare" in the nav (severity
cards, the team's services), acknowledge, share a public update while its preview shows
the status page's card, the status page showing it under its public title (never the
internal one), a status change with its message, resolve. And the SEV1 auto-refresh,
which keeps the page and what someone is typing. Screenshots: test-artifacts/screenshots/
(incident-*)."""

import re

import pytest

from incidents import services
from incidents.models import Incident, Severity
from tests.e2e.conftest import PASSWORD, SCREENSHOTS, fits_the_screen, sign_in
from tests.incidents.factories import ServiceFactory
from tests.oncall.factories import TeamFactory, member_of

INTERNAL_TITLE = "Card processor returns 502 after deploy 4512"
PUBLIC_TITLE = "Card payments failing"


def _go(page, name):
    """Follow a link of the main navigation, opening the phone menu first if needed."""
    toggle = page.locator(".menu-toggle")
    if toggle.count() and toggle.is_visible():
        toggle.click()
    page.locator("#site-nav").get_by_role("link", name=name, exact=True).click()
    page.wait_for_load_state("networkidle")


def shot(page, name):
    """A full-page screenshot that injects nothing into the page (Playwright's default
    caret hiding adds an inline style, which the CSP rightly refuses)."""
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True, caret="initial")


def _no_errors(page):
    # The browser asks for /favicon.ico on its own; the app has none (yet).
    errors = [e for e in page.console_errors if "404 (Not Found)" not in e]
    assert errors == [], errors
    bad = [r for r in page.bad_responses if not r.endswith("/favicon.ico")]
    assert bad == [], bad


def _person(team, username):
    user = member_of(team, username)
    user.set_password(PASSWORD)
    user.save()
    return user


@pytest.fixture
def world(db):
    team = TeamFactory(name="Payments", slug="payments", key="PAY")
    alice = _person(team, "alice")
    checkout = ServiceFactory(team=team, name="Checkout", slug="checkout", public=True)
    ServiceFactory(team=team, name="Ledger", slug="ledger")
    earlier = services.incident_create(
        actor=alice,
        team=team,
        title="Refund e-mails delayed",
        severity=Severity.objects.get(name="SEV3"),
        services=[checkout],
    )
    return {"team": team, "alice": alice, "earlier": earlier}


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("size", ["phone", "laptop"])
def test_declare_share_publicly_change_status_and_resolve(live_server, browser, world, size):
    page = browser.new_page(size)
    sign_in(page, live_server.url, "alice")

    # From the home page to an open incident.
    page.get_by_role("link", name=world["earlier"].reference).first.click()
    page.wait_for_url(f"**/incidents/{world['earlier'].pk}/")
    assert "Refund e-mails delayed" in page.locator("h1").inner_text()
    fits_the_screen(page)
    shot(page, f"incident-01-{size}-existing")

    # Declare through the nav.
    _go(page, "Declare")
    assert page.locator("h1").inner_text() == "Declare an incident"
    assert page.locator("input[name=severity]:checked").count() == 0  # nothing preselected
    page.fill("#id_title", INTERNAL_TITLE)
    page.locator("label.severity-card", has_text="SEV1").click()
    page.get_by_label("Checkout").check()
    page.fill("#id_impact", "About 30% of card payments fail.")
    assert page.locator("#id_commander").input_value() == str(world["alice"].pk)
    fits_the_screen(page)
    shot(page, f"incident-02-{size}-declare")
    page.locator("#declare-submit").click()
    page.wait_for_url(re.compile(r"/incidents/\d+/$"))
    incident = Incident.objects.get(title=INTERNAL_TITLE)
    assert page.locator("#incident-status").inner_text() == "Triggered"
    assert "About 30% of card payments fail." in page.locator("#incident-impact").inner_text()
    assert "Not on the status page yet" in page.locator("#share-update").inner_text()
    fits_the_screen(page)
    shot(page, f"incident-03-{size}-declared")

    # Acknowledge.
    page.locator("#acknowledge").click()
    page.wait_for_selector("#incident-status:has-text('Acknowledged')")
    shot(page, f"incident-04-{size}-acknowledged")

    # Share a public update: the preview shows the status page's card as it will be.
    composer = page.locator("#share-update")
    composer.scroll_into_view_if_needed()
    assert page.locator("#id_audience_0").is_checked()  # public, the status page can show it
    page.fill("#id_message", "Some card payments fail. We are rolling back a change.")
    preview = page.locator("#status-preview")
    preview.locator("text=Some card payments fail.").wait_for()
    assert "Issue affecting Checkout" in preview.inner_text()  # no public title yet
    page.fill("#id_public_title", PUBLIC_TITLE)
    preview.locator(f"text={PUBLIC_TITLE}").wait_for()
    assert "Major outage" in preview.inner_text()
    assert INTERNAL_TITLE not in preview.inner_text()
    page.get_by_label("Yes").check()
    fits_the_screen(page)
    composer.screenshot(path=str(SCREENSHOTS / f"incident-05-{size}-preview.png"), caret="initial")
    shot(page, f"incident-05-{size}-share-update")
    page.locator("#share-update-submit").click()
    page.wait_for_selector("#share-update-done:has-text('Public update shared')")
    page.wait_for_selector("#timeline li[data-kind=status_update]:has-text('Some card payments')")
    assert "On the status page" in composer.inner_text()
    assert page.locator("#id_message").input_value() == ""
    shot(page, f"incident-06-{size}-shared")

    # The status page shows it under its public title.
    composer.get_by_role("link", name="Open the status page").click()
    page.wait_for_url("**/status/")
    card = page.locator(".status-incident").first
    assert PUBLIC_TITLE in card.inner_text()
    assert "Some card payments fail." in card.inner_text()
    assert INTERNAL_TITLE not in page.content()
    assert "Major outage" in page.locator("#overall").inner_text()
    fits_the_screen(page)
    shot(page, f"incident-07-{size}-status-page")
    page.go_back()
    page.wait_for_url(f"**/incidents/{incident.pk}/")

    # Change the status, with what changed.
    page.select_option("#status-select", label="Identified")
    page.fill("#status-message", "Deploy 4512 broke the card client; rolling back.")
    page.locator("#set-status").click()
    page.wait_for_selector("#incident-status:has-text('Identified')")
    page.wait_for_selector("#timeline li:has-text('Acknowledged → Identified')")
    assert "Deploy 4512 broke the card client" in page.locator("#timeline").inner_text()
    fits_the_screen(page)
    shot(page, f"incident-08-{size}-identified")

    # Resolve.
    page.fill("#resolve-message", "Rolled back; payments succeed again.")
    page.locator("#resolve").click()
    page.wait_for_selector("#incident-status:has-text('Resolved')")
    assert page.locator("#incident-resolution").inner_text() == "Fixed"
    fits_the_screen(page)
    shot(page, f"incident-09-{size}-resolved")

    # The list of resolved incidents shows it, its status in words.
    _go(page, "Incidents")
    page.select_option("#filter-open", label="Resolved")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_load_state("networkidle")
    row = page.locator("table.incidents tbody tr", has_text=incident.reference)
    assert "Resolved" in row.locator("td[data-label=Status]").inner_text()
    fits_the_screen(page)
    shot(page, f"incident-10-{size}-list")

    incident.refresh_from_db()
    assert (incident.status, incident.source, incident.commander) == (
        "resolved",
        "web",
        world["alice"],
    )
    assert list(incident.timeline.values_list("kind", flat=True)) == [
        "declared",
        "acknowledged",
        "status_page_state",
        "status_update",
        "status_changed",
        "resolved",
    ]
    _no_errors(page)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("size", ["phone", "laptop"])
def test_the_sev1_refresh_keeps_the_page_and_what_is_being_typed(
    live_server, browser, world, settings, size
):
    settings.INCIDENT_PAGE_REFRESH_SECONDS = 1
    alice = world["alice"]
    bob = _person(world["team"], "bob")
    incident = services.incident_create(
        actor=alice,
        team=world["team"],
        title="Checkout down",
        severity=Severity.objects.get(name="SEV1"),
    )
    page = browser.new_page(size)
    sign_in(page, live_server.url, "alice")
    page.get_by_role("link", name=incident.reference).first.click()
    page.wait_for_url(f"**/incidents/{incident.pk}/")
    assert page.locator("#incident-panel").get_attribute("data-auto-refresh") == "1"

    page.fill("#note-message", "Half-written note about the")
    page.fill("#id_message", "Draft public update")
    page.locator("#status-message").click()
    page.keyboard.type("Typing what chan")
    # Someone else acts meanwhile; the refresh brings it in.
    services.incident_add_note(incident=incident, actor=bob, message="Bob: DB failover started")
    with page.expect_response(
        lambda r: (
            r.url.endswith(f"/incidents/{incident.pk}/")
            and r.request.headers.get("hx-request") == "true"
        )
    ):
        pass
    page.wait_for_selector("#timeline li:has-text('Bob: DB failover started')")
    page.keyboard.type("ged")  # the cursor is still in the field

    assert page.locator("#note-message").input_value() == "Half-written note about the"
    assert page.locator("#id_message").input_value() == "Draft public update"
    assert page.locator("#status-message").input_value() == "Typing what changed"
    # Still one page: no page inside the page, nothing replaced by JSON.
    assert page.locator("header.site-header").count() == 1
    assert page.locator("#incident-panel").count() == 1
    assert page.locator("#timeline").count() == 1
    assert page.locator("h1").count() == 1
    assert "Checkout down" in page.locator("h1").inner_text()
    fits_the_screen(page)
    shot(page, f"incident-11-{size}-refreshed-keeps-typing")
    # The note typed before the refresh posts and the form empties.
    page.fill("#note-message", "Half-written note about the failover")
    page.locator("#add-note").click()
    page.wait_for_selector("#timeline li:has-text('Half-written note about the failover')")
    assert page.locator("#note-message").input_value() == ""
    _no_errors(page)
