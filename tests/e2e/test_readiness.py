"""A team manager checks the team's readiness from a phone and from a laptop: opens
"Readiness" from the header, picks the team, reads what would go wrong, and follows
lines to where each is fixed (the schedule editor, the runbook page, the on-call load).
Screenshots go to test-artifacts/screenshots/."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from oncall.schedules.models import Schedule
from runbooks.models import Runbook
from tests.e2e.conftest import (
    AXE_JS,
    PASSWORD,
    axe_violations,
    fits_the_screen,
    nav_follow,
    sign_in,
)
from tests.oncall.factories import TeamFactory, member_of
from tests.readiness.test_report_world import seed_ready, seed_unready

# The brief's widths: a phone (390 px) and a laptop (1280 px).
WIDTHS = {"phone": None, "laptop": {"width": 1280, "height": 900}}


def _accessible(page) -> None:
    """No serious or critical axe-core violation (when axe-core is installed)."""
    if AXE_JS.exists():
        assert axe_violations(page) == []


def _world():
    team = TeamFactory(name="Payments", slug="payments", key="PAY")
    manager = member_of(team, "priya", role="manager")
    manager.set_password(PASSWORD)
    manager.save()
    seed_unready(team, manager=manager, now=timezone.now())
    other = TeamFactory(name="Mobile", slug="mobile", key="MOB")
    olivia = member_of(other, "olivia", role="manager")
    seed_ready(other, manager=olivia, now=timezone.now())
    return team, manager


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("width", list(WIDTHS))
def test_a_manager_reaches_the_report_and_follows_lines_to_their_fix(
    live_server, browser, shoot, width
):
    team, _manager = _world()
    page = browser.new_page("phone" if width == "phone" else "laptop")
    if WIDTHS[width]:
        page.set_viewport_size(WIDTHS[width])
    sign_in(page, live_server.url, "priya")

    nav_follow(page, "Readiness")
    expect(page.get_by_role("heading", name="Readiness", exact=True)).to_be_visible()
    teams = page.locator("#readiness-teams")
    expect(teams.get_by_role("link")).to_have_count(1)  # Mobile is not priya's
    fits_the_screen(page)
    _accessible(page)
    shoot(page, f"readiness-picker-{width}")
    teams.get_by_role("link", name="Payments").click()
    page.wait_for_load_state("networkidle")

    expect(page.get_by_role("heading", name="Readiness: Payments")).to_be_visible()
    expect(page.locator("#readiness-summary")).to_contain_text("10 things to fix")
    # (Hidden behind the Menu on a phone, so not looked up by its role.)
    nav_link = page.locator("#site-nav a", has_text="Readiness")
    assert nav_link.get_attribute("aria-current") == "true"
    gaps = page.locator("#check-schedule_gaps")
    expect(gaps.locator(".finding")).to_have_count(1)
    expect(gaps).to_contain_text("Business hours")
    expect(page.locator("#check-engineers_overloaded")).to_contain_text("busy")
    fits_the_screen(page)
    _accessible(page)
    shoot(page, f"readiness-report-{width}")

    # A gap in the schedule: to the schedule editor.
    gaps.get_by_role("link", name="Edit the schedule").click()
    page.wait_for_load_state("networkidle")
    schedule = Schedule.objects.get(team=team, name="Business hours")
    assert page.url.endswith(f"/oncall/schedules/{schedule.pk}/")
    expect(page.get_by_role("heading", name="Edit schedule: Business hours")).to_be_visible()
    shoot(page, f"readiness-fix-schedule-{width}")

    # A stale runbook: to its page, where it is marked tested.
    page.go_back()
    page.wait_for_load_state("networkidle")
    stale = page.locator("#check-runbooks_untested")
    stale.get_by_role("link", name="Test it and mark it tested").click()
    page.wait_for_load_state("networkidle")
    runbook = Runbook.objects.get(team=team, title="Checkout latency")
    assert page.url.endswith(f"/runbooks/{runbook.pk}/")
    page.get_by_role("button", name="Mark tested today").click()
    page.wait_for_load_state("networkidle")

    # Back on the report, the runbook is off it.
    nav_follow(page, "Readiness")
    page.locator("#readiness-teams").get_by_role("link", name="Payments").click()
    page.wait_for_load_state("networkidle")
    expect(page.locator("#readiness-summary")).to_contain_text("9 things to fix")
    expect(page.locator("#check-runbooks_untested")).to_contain_text("Every runbook was tested")

    # An engineer above 10 pages a week: to the on-call load report.
    page.locator("#check-engineers_overloaded").get_by_role("link", name="On-call load").click()
    page.wait_for_load_state("networkidle")
    assert f"/oncall/?team={team.pk}#load-report" in page.url
    expect(page.locator("#load-report")).to_contain_text("busy")
    shoot(page, f"readiness-fix-load-{width}")
    assert not page.console_errors, page.console_errors
    assert not page.bad_responses, page.bad_responses
