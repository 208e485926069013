"""A team manager sets up an integration in the browser, at phone and laptop widths:
Integrations from the nav, the form, the key shown once and copied with its button,
the configuration to paste, a test event sent (htmx) and its incident opened from the
recent alerts. Without JavaScript the key is still a selectable read-only field."""

import re

import pytest

from incidents.alerts.models import Alert, Integration
from tests.e2e.conftest import fits_the_screen, sign_in

WIDTHS = ["phone", "laptop"]


def _open_integrations(page, width: str) -> None:
    if width == "phone":
        page.get_by_role("button", name="Menu").click()
    page.locator("#site-nav").get_by_role("link", name="Integrations", exact=True).click()
    page.wait_for_url(re.compile(r"/integrations/$"))


def _fill_the_form(page, name: str) -> None:
    form = page.locator("#integration-form")
    form.get_by_label("Team", exact=True).select_option(label="Payments")
    form.get_by_label("Name", exact=True).fill(name)
    form.get_by_label("Sends", exact=True).select_option(
        label="Events API v2 (PagerDuty-compatible)"
    )
    form.get_by_label("Service", exact=True).select_option(label="Checkout API")
    form.get_by_role("button", name="Add integration").click()
    page.wait_for_url(re.compile(r"/integrations/\d+/$"))


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("width", WIDTHS)
def test_manager_adds_an_integration_copies_its_key_and_sends_a_test_event(
    live_server, world, browser, shoot, settings, width
):
    settings.SITE_URL = live_server.url
    page = browser.new_page(width, permissions=["clipboard-read", "clipboard-write"])
    sign_in(page, live_server.url, world["manager"].username)
    _open_integrations(page, width)
    assert page.locator("#integration-list").get_by_role("link", name="Prometheus").count() == 1
    assert page.locator(".recent-alerts").get_by_text("Checkout 5xx above 5%").count() == 1
    fits_the_screen(page)
    shoot(page, f"integrations-list-{width}")

    _fill_the_form(page, "Checkout probes")
    integration = Integration.objects.get(name="Checkout probes")
    key_field = page.get_by_label("Key", exact=True)
    key = key_field.input_value()
    assert len(key) == 32 and key.startswith(integration.routing_key_hint)
    assert key_field.get_attribute("readonly") is not None
    curl = page.locator("#snippet-curl").inner_text()
    assert f"{live_server.url}/v2/enqueue" in curl and f'"routing_key": "{key}"' in curl
    fits_the_screen(page)
    shoot(page, f"integrations-key-shown-{width}")

    copy = page.locator("button[data-copy-target=integration-key]")
    assert copy.get_attribute("hidden") is None and "Copy the key" in copy.text_content()
    copy.click()
    page.wait_for_selector("button.copied")
    assert "Copied" in copy.inner_text()
    assert page.evaluate("navigator.clipboard.readText()") == key
    assert copy.bounding_box()["height"] >= 44
    shoot(page, f"integrations-key-copied-{width}")

    page.get_by_role("button", name="Send a test event").click()
    result = page.locator("#test-result")
    result.wait_for()
    assert "It opened an alert and an incident" in result.inner_text()
    alert = Alert.objects.get(integration=integration)
    table = page.locator("#activity .recent-alerts")
    assert table.get_by_text("Test event from Tocsin for Checkout probes").count() == 1
    fits_the_screen(page)
    shoot(page, f"integrations-test-event-{width}")

    table.get_by_role("link", name=alert.incident.reference).click()
    page.wait_for_url(re.compile(rf"/incidents/{alert.incident_id}/$"))
    assert "Test event from Tocsin for Checkout probes" in page.locator("h1").inner_text()
    shoot(page, f"integrations-test-incident-{width}")

    # Back on the integration's page, later: the key is gone, only its start is shown.
    page.go_back()
    page.reload()
    assert page.get_by_label("Key", exact=True).count() == 0
    assert integration.routing_key_hint in page.locator("#key-hint").inner_text()
    assert key not in page.content()
    assert page.console_errors == [], page.console_errors
    assert page.bad_responses == [], page.bad_responses


@pytest.mark.django_db(transaction=True)
def test_without_javascript_the_key_is_a_selectable_field(live_server, world, browser, shoot):
    page = browser.new_page("phone", java_script_enabled=False)
    sign_in(page, live_server.url, world["manager"].username)
    page.locator("#site-nav").get_by_role("link", name="Integrations", exact=True).click()
    _fill_the_form(page, "No script")
    key_field = page.get_by_label("Key", exact=True)
    assert len(key_field.input_value()) == 32
    assert key_field.get_attribute("readonly") is not None
    assert not page.locator("button[data-copy-target]").first.is_visible()
    # The test event still works, as a plain form post.
    page.get_by_role("button", name="Send a test event").click()
    page.wait_for_url(re.compile(r"/integrations/\d+/$"))
    assert "It opened an alert and an incident" in page.locator("#test-result").inner_text()
    fits_the_screen(page)
    shoot(page, "integrations-no-javascript-phone")


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("width", WIDTHS)
def test_a_member_reads_integrations_without_the_form(live_server, world, browser, shoot, width):
    page = browser.new_page(width)
    sign_in(page, live_server.url, world["member"].username)
    _open_integrations(page, width)
    assert page.locator("#integration-form").count() == 0
    page.locator("#integration-list").get_by_role("link", name="Prometheus").click()
    page.wait_for_url(re.compile(r"/integrations/\d+/$"))
    assert page.get_by_role("button", name="Send a test event").count() == 0
    assert "YOUR_INTEGRATION_KEY" in page.locator("#snippet-yaml").inner_text()
    fits_the_screen(page)
    shoot(page, f"integrations-member-detail-{width}")
    assert page.console_errors == [], page.console_errors
