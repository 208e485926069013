"""The staff import page in the browser: a staff member fills in the source and its token,
reads the plan (creates, matches, what cannot be carried over), applies it, and the
schedule is there; a non-staff person is refused. At phone and laptop widths."""

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import fits_the_screen, nav_follow, person, sign_in
from tests.incidents.imports.pagerduty_standin import TOKEN, PagerDutyStandIn

WIDTHS = ["phone", "laptop"]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("width", WIDTHS)
def test_staff_reads_the_plan_then_applies_it(live_server, browser, shoot, width):
    from oncall.schedules.models import Schedule

    person("root", is_staff=True, is_superuser=True, email="root@example.com")
    with PagerDutyStandIn() as standin:
        page = browser.new_page(width)
        sign_in(page, live_server.url, "root")
        nav_follow(page, "^Teams$")
        page.get_by_role("link", name="Import from PagerDuty, Opsgenie or Grafana OnCall").click()
        page.get_by_label("From").select_option("pagerduty")
        page.get_by_label("API token").fill(TOKEN)
        page.get_by_label("API address").fill(standin.url)
        page.get_by_role("button", name="Show plan").click()
        plan = page.locator("#plan")
        expect(plan).to_contain_text("What the import would do")
        expect(page.locator("#plan-person")).to_contain_text("Alice Adams")
        expect(page.locator("#unsupported")).to_contain_text("round-robin assignment")
        page.locator("#plan-schedule summary").click()
        expect(page.locator("#plan-schedule")).to_contain_text("Primary")
        fits_the_screen(page)
        shoot(page, f"imports-plan-{width}")
        assert not Schedule.objects.filter(name="Primary").exists()

        page.get_by_role("button", name="Apply").click()
        expect(page.get_by_role("heading", name="Import applied")).to_be_visible()
        expect(page.locator("#import-result")).to_contain_text("Schedules 2")
        fits_the_screen(page)
        shoot(page, f"imports-done-{width}")
        assert Schedule.objects.filter(name="Primary").exists()
        assert not page.console_errors, page.console_errors


@pytest.mark.django_db(transaction=True)
def test_people_who_are_not_staff_are_refused(live_server, browser, shoot):
    person("lena", email="lena@example.com")
    page = browser.new_page("phone")
    sign_in(page, live_server.url, "lena")
    response = page.goto(live_server.url + "/imports/")
    assert response.status == 403
    expect(page.get_by_role("alert")).to_contain_text("Only staff")
    shoot(page, "imports-refused-phone")
