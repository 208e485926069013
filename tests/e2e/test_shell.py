"""The shell every page shares, driven like a person at phone and laptop widths: the
navigation (collapsed behind "Menu" on a phone, shown stacked without JavaScript), the
skip link, the current page marked, the runbook pages reached through the nav, the API
docs served offline (every request to our own origin), and the admin under the CSP."""

import re
from itertools import pairwise
from urllib.parse import urlsplit

import pytest

from tests.e2e.conftest import SCREENSHOTS, fits_the_screen, sign_in

WIDTHS = ["phone", "laptop"]


def _open_nav(page, width: str) -> None:
    """On a phone the nav sits behind the Menu button."""
    if width == "phone" and page.locator(".menu-toggle").get_attribute("aria-expanded") != "true":
        page.get_by_role("button", name="Menu").click()


def _tall_enough(page, selector: str) -> list[str]:
    """The visible elements matching selector that are under 44 px tall."""
    return page.eval_on_selector_all(
        selector,
        """els => els.filter(e => e.offsetParent !== null)
                     .map(e => [e.textContent.trim() || e.name || e.outerHTML.slice(0, 60),
                                e.getBoundingClientRect().height])
                     .filter(([, h]) => h < 44).map(([t, h]) => `${t}: ${h}px`)""",
    )


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("width", WIDTHS)
def test_sign_in_page_fits_and_labels_its_fields(live_server, world, browser, shoot, width):
    page = browser.new_page(width)
    page.goto(live_server.url + "/")
    assert "/accounts/login/" in page.url
    fits_the_screen(page)
    for field in page.locator("form input:not([type=hidden]):not([type=checkbox])").all():
        field_id = field.get_attribute("id")
        assert field_id and page.locator(f"label[for='{field_id}']").count() == 1, field_id
    assert not _tall_enough(page, "form input:not([type=hidden]), form button")
    shoot(page, f"shell-sign-in-{width}")
    sign_in(page, live_server.url, world["member"].username)
    assert page.url == live_server.url + "/"
    assert page.console_errors == [], (page.console_errors, page.bad_responses)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("width", WIDTHS)
def test_the_nav_leads_to_the_runbooks(live_server, world, browser, shoot, width):
    page = browser.new_page(width)
    sign_in(page, live_server.url, world["manager"].username)
    nav = page.locator("#site-nav")
    menu = page.locator(".menu-toggle")
    fits_the_screen(page)
    shoot(page, f"shell-home-{width}")
    if width == "phone":
        assert menu.is_visible() and not nav.is_visible()
        assert menu.get_attribute("aria-expanded") == "false"
        page.screenshot(path=str(SCREENSHOTS / "shell-nav-closed-phone.png"))
        menu.click()
        assert nav.is_visible() and menu.get_attribute("aria-expanded") == "true"
        fits_the_screen(page)
        assert not _tall_enough(page, "#site-nav a, #site-nav button, .menu-toggle")
        tops = page.eval_on_selector_all(
            "#site-nav li a", "els => els.map(e => e.getBoundingClientRect().top)"
        )
        assert all(b - a >= 44 for a, b in pairwise(tops)), tops
        page.screenshot(path=str(SCREENSHOTS / "shell-nav-open-phone.png"))
        page.keyboard.press("Escape")
        assert not nav.is_visible() and menu.get_attribute("aria-expanded") == "false"
        menu.click()
    else:
        assert nav.is_visible() and not menu.is_visible()
    for name in ("Incidents", "Declare", "On call", "Postmortems", "Runbooks", "API docs"):
        assert nav.get_by_role("link", name=name, exact=True).count() == 1, name
    assert nav.get_by_role("button", name="Sign out").is_visible()
    assert nav.get_by_role("link", name="Admin", exact=True).count() == 0  # priya is not staff

    nav.get_by_role("link", name="Runbooks", exact=True).click()
    page.wait_for_url(re.compile(r"/runbooks/$"))
    assert page.locator("#site-nav a[aria-current=page]").inner_text() == "Runbooks"
    assert page.locator("h1").inner_text() == "Runbooks"
    assert "Checkout latency" in page.locator("#runbook-table").inner_text()
    fits_the_screen(page)
    assert not _tall_enough(
        page, "main input:not([type=checkbox]), main select, main button, main label:has(input)"
    )
    shoot(page, f"shell-runbook-list-{width}")

    page.get_by_role("link", name="Checkout latency").click()
    page.wait_for_url(re.compile(r"/runbooks/\d+/$"))
    assert page.locator("#site-nav a[aria-current=true]").inner_text() == "Runbooks"
    assert page.locator("article.runbook-body h2").first.is_visible()
    assert page.locator(".runbook-meta time").count() >= 1  # times in the reader's zone
    fits_the_screen(page)
    shoot(page, f"shell-runbook-detail-{width}")
    page.get_by_role("button", name="Mark tested today").click()
    page.wait_for_selector("#messages")
    page.get_by_role("link", name="Version history").click()
    page.wait_for_url(re.compile(r"/versions/"))
    fits_the_screen(page)
    shoot(page, f"shell-runbook-versions-{width}")
    assert page.console_errors == [], (page.console_errors, page.bad_responses)


@pytest.mark.django_db(transaction=True)
def test_the_skip_link_moves_to_the_content(live_server, world, browser):
    page = browser.new_page("laptop")
    sign_in(page, live_server.url, world["member"].username)
    page.keyboard.press("Tab")
    skip = page.locator(".skip-link")
    assert skip.evaluate("e => e === document.activeElement") and skip.is_visible()
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"


@pytest.mark.django_db(transaction=True)
def test_without_javascript_the_nav_is_shown_stacked(live_server, world, browser):
    page = browser.new_page("phone", java_script_enabled=False)
    sign_in(page, live_server.url, world["member"].username)
    assert not page.locator(".menu-toggle").is_visible()
    assert page.locator("#site-nav").is_visible()
    assert page.locator("#site-nav").get_by_role("link", name="Runbooks").is_visible()
    fits_the_screen(page)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("width", WIDTHS)
def test_api_docs_render_with_nothing_from_another_origin(
    live_server, world, browser, shoot, width
):
    page = browser.new_page(width)
    requested = []
    page.on("request", lambda request: requested.append(request.url))
    sign_in(page, live_server.url, world["member"].username)
    _open_nav(page, width)
    page.locator("#site-nav").get_by_role("link", name="API docs").click()
    page.wait_for_url(re.compile(r"/api/docs/$"))
    page.wait_for_selector(".opblock", timeout=30_000)
    assert page.locator(".opblock").count() > 10
    assert "Tocsin API" in page.locator(".info .title").inner_text()
    ours = urlsplit(live_server.url).netloc
    elsewhere = [url for url in requested if urlsplit(url).netloc not in (ours, "")]
    assert not [url for url in elsewhere if not url.startswith("data:")], elsewhere
    assert page.console_errors == [], (page.console_errors, page.bad_responses)
    shoot(page, f"shell-api-docs-{width}")


@pytest.mark.django_db(transaction=True)
def test_the_admin_works_under_the_csp(live_server, world, browser):
    """Index, a changelist, a change page and an add page log no CSP (console) error."""
    page = browser.new_page("laptop")
    sign_in(page, live_server.url, world["staff"].username)
    page.locator("#site-nav").get_by_role("link", name="Admin", exact=True).click()
    page.wait_for_url(re.compile(r"/admin/$"))
    visited = [page.url]
    page.locator("a[href$='/admin/incidents/incident/']").first.click()
    page.wait_for_url(re.compile(r"/admin/incidents/incident/$"))
    visited.append(page.url)
    page.locator("#result_list tbody a").first.click()
    page.wait_for_url(re.compile(r"/change/$"))
    page.wait_for_load_state("networkidle")
    visited.append(page.url)
    page.goto(live_server.url + "/admin/runbooks/runbook/add/")
    page.wait_for_load_state("networkidle")
    visited.append(page.url)
    page.goto(live_server.url + "/admin/oncall/schedule/")
    page.locator("#result_list tbody a").first.click()
    page.wait_for_load_state("networkidle")
    visited.append(page.url)
    assert page.console_errors == [], (visited, page.console_errors)
    assert page.bad_responses == [], page.bad_responses
