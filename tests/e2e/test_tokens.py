"""API tokens in the browser: a person creates a token on their profile, a script uses
it, the person rotates it after a leak — the old token stops working at once, the new one
works — and the audit log shows the rotation. At phone and laptop widths."""

import json
import urllib.error
import urllib.request

import pytest

from tests.e2e.conftest import PASSWORD, fits_the_screen, sign_in
from tests.oncall.factories import TeamFactory, UserFactory, member_of

WIDTHS = ["phone", "laptop"]


def _api_status(base_url: str, token: str) -> int:
    request = urllib.request.Request(  # noqa: S310 - the live test server
        base_url + "/api/v1/teams/", headers={"Authorization": f"Bearer {token}"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            json.load(response)
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def _nav(page, name: str) -> None:
    toggle = page.locator(".menu-toggle")
    if toggle.is_visible() and toggle.get_attribute("aria-expanded") != "true":
        toggle.click()
    page.locator("#site-nav").get_by_role("link", name=name).first.click()
    page.wait_for_load_state("networkidle")


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("width", WIDTHS)
def test_a_leaked_token_is_rotated_and_stops_working_at_once(live_server, browser, shoot, width):
    from playwright.sync_api import expect

    team = TeamFactory(name="Payments", key="PAY", slug="payments")
    lena = UserFactory(username="lena", email="lena@example.com", is_staff=True)
    lena.set_password(PASSWORD)
    lena.save()
    member_of(team, "marco")
    page = browser.new_page(width)
    page.on("dialog", lambda dialog: dialog.accept())
    sign_in(page, live_server.url, "lena")

    _nav(page, "Profile")
    page.get_by_role("link", name="API tokens").click()
    page.wait_for_load_state("networkidle")
    page.get_by_label("Name").fill("deploy script")
    page.get_by_label("Scope").select_option("read")
    page.get_by_role("button", name="Create token").click()
    revealed = page.locator("#new-token")
    expect(revealed).to_be_visible()
    leaked = revealed.input_value()
    assert leaked.startswith("tcs_")
    fits_the_screen(page)
    shoot(page, f"tokens-created-{width}")
    assert _api_status(live_server.url, leaked) == 200

    # Back on the page later, the secret is not shown again.
    page.get_by_role("link", name="Your profile").click()
    page.get_by_role("link", name="API tokens").click()
    page.wait_for_load_state("networkidle")
    expect(page.locator("#new-token")).to_have_count(0)
    row = page.locator("tr", has_text="deploy script")
    expect(row).to_contain_text("Read only")
    page.get_by_role("button", name="Rotate deploy script").click()
    expect(page.locator("#token-revealed")).to_contain_text("the old one no longer works")
    fresh = page.locator("#new-token").input_value()
    assert fresh.startswith("tcs_") and fresh != leaked
    assert _api_status(live_server.url, leaked) == 401
    assert _api_status(live_server.url, fresh) == 200
    fits_the_screen(page)
    shoot(page, f"tokens-rotated-{width}")

    page.get_by_role("link", name="Your profile").click()
    page.wait_for_load_state("networkidle")
    page.get_by_role("link", name="Audit log").click()
    page.wait_for_load_state("networkidle")
    table = page.locator("table.audit-table")
    expect(table).to_contain_text("API token rotated")
    expect(table).to_contain_text("Revoked or expired API token used")
    expect(table).to_contain_text("API token created")
    fits_the_screen(page)
    shoot(page, f"tokens-audit-{width}")
    assert not page.console_errors, page.console_errors


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("width", WIDTHS)
def test_a_manager_makes_and_revokes_a_team_token_from_the_team_page(
    live_server, browser, shoot, width
):
    from playwright.sync_api import expect

    team = TeamFactory(name="Payments", key="PAY", slug="payments")
    priya = member_of(team, "priya", role="manager")
    priya.set_password(PASSWORD)
    priya.save()
    page = browser.new_page(width)
    page.on("dialog", lambda dialog: dialog.accept())
    sign_in(page, live_server.url, "priya")

    _nav(page, "Teams")
    page.get_by_role("link", name="Payments").first.click()
    page.get_by_role("link", name="API tokens of the team").click()
    page.wait_for_load_state("networkidle")
    page.get_by_label("Name").fill("prometheus")
    page.get_by_label("Scope").select_option("integrations")
    page.get_by_role("button", name="Create token").click()
    token = page.locator("#new-token").input_value()
    assert _api_status(live_server.url, token) == 200
    expect(page.locator("tr", has_text="prometheus")).to_contain_text("manage integrations")
    fits_the_screen(page)
    shoot(page, f"tokens-team-{width}")

    page.get_by_role("button", name="Revoke prometheus").click()
    expect(page.locator("#messages")).to_contain_text("it no longer works")
    assert _api_status(live_server.url, token) == 401
    _nav(page, "Teams")
    page.get_by_role("link", name="Audit log").click()
    table = page.locator("table.audit-table")
    expect(table).to_contain_text("API token revoked")
    expect(table).to_contain_text("Payments")
    fits_the_screen(page)
    shoot(page, f"tokens-team-audit-{width}")
    assert not page.console_errors, page.console_errors
