"""A team manager schedules a drill in the browser and reads its report, at phone and
laptop sizes: from the navigation to the Drills page, the schedule form (with an error
first), the drill's page; then the drill runs through the real pipeline (its alert, the
DRILL incident a responder acknowledges; the manager opens the matched runbook from the
incident's page; resolved) and the manager reads the report, turns its finding into an
action item and opens the Markdown. Screenshots go to
test-artifacts/screenshots/."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from incidents import services as incident_services
from readiness.drills import tasks
from readiness.drills.models import Drill, DrillStatus
from tests.e2e.conftest import PASSWORD, fits_the_screen, sign_in
from tests.incidents.factories import ServiceFactory
from tests.oncall.factories import TeamFactory, make_policy, member_of
from tests.runbooks.factories import RunbookFactory


def _go(page, name):
    toggle = page.locator(".menu-toggle")
    if toggle.count() and toggle.is_visible():
        toggle.click()
    page.locator("#site-nav").get_by_role("link", name=name, exact=True).click()
    page.wait_for_load_state("networkidle")


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("size", ["phone", "laptop"])
def test_schedule_a_drill_then_read_its_report(live_server, browser, shoot, size):
    team = TeamFactory(name="Payments", slug="payments", key="PAY")
    priya = member_of(team, "priya", role="manager")
    alice = member_of(team, "alice")
    for user in (priya, alice):
        user.set_password(PASSWORD)
        user.save()
    service = ServiceFactory(team=team, name="Checkout API", slug="checkout-api")
    RunbookFactory(team=team, actor=priya, title="Checkout failover", services=[service])
    make_policy(team, [(5, [alice])])

    page = browser.new_page(size)
    sign_in(page, live_server.url, "priya")
    _go(page, "Drills")
    expect(page.locator("h1")).to_have_text("Drills")
    expect(page.locator("#drill-list")).to_contain_text("No drills yet.")

    # A title is required: the form says so and keeps what was typed.
    page.fill("#id_scenario", "The primary database goes away.")
    page.locator("#id_title").evaluate("e => e.removeAttribute('required')")
    page.click("#schedule-drill")
    expect(page.locator("#schedule-errors")).to_contain_text("The drill was not scheduled.")
    expect(page.locator("#field-title .errorlist")).to_contain_text("Give the drill a title.")
    expect(page.locator("#id_scenario")).to_have_value("The primary database goes away.")
    fits_the_screen(page)
    shoot(page, f"drills-01-{size}-schedule-error")

    page.fill("#id_title", "Checkout database fails over")
    page.select_option("#id_severity", label="SEV2 (high)")
    # Now (in the reader's zone, UTC here), so the beat starts it at once.
    page.fill("#id_scheduled_at", timezone.now().strftime("%Y-%m-%dT%H:%M"))
    page.select_option("#id_service", label="Payments: Checkout API")
    page.select_option("#id_runbook", label="Checkout failover")
    page.uncheck("#id_announced")
    page.click("#schedule-drill")
    page.wait_for_url("**/drills/*/")
    expect(page.locator("#messages")).to_contain_text("Drill scheduled (unannounced).")
    expect(page.locator("#drill-status")).to_have_text("Scheduled")
    fits_the_screen(page)
    shoot(page, f"drills-02-{size}-scheduled")
    drill = Drill.objects.get()
    assert (drill.title, drill.severity.name, drill.announced) == (
        "Checkout database fails over",
        "SEV2",
        False,
    )

    # Its time has come: the beat injects its alert; alice acknowledges the page.
    assert tasks.start_due() == 1
    drill.refresh_from_db()
    incident = drill.incident
    assert incident.is_drill
    incident_services.incident_acknowledge(incident=incident, actor=alice)

    # The manager follows the drill to its incident (marked DRILL) and opens the runbook
    # the drill matched from there, as a responder would.
    page.reload()
    expect(page.locator("#drill-status")).to_have_text("Running")
    page.locator("#drill-incident a").click()
    page.wait_for_url(f"**/incidents/{incident.pk}/")
    expect(page.locator("#incident-drill")).to_have_text("DRILL")
    page.locator("#incident-runbooks").get_by_role("link", name="Checkout failover").click()
    page.wait_for_url("**/runbooks/*/")
    page.go_back()
    page.go_back()
    page.wait_for_url(f"**/drills/{drill.pk}/")

    incident_services.incident_resolve(incident=incident, actor=alice)
    assert tasks.complete_finished() == 1
    drill.refresh_from_db()
    assert drill.status == DrillStatus.COMPLETED

    page.reload()
    expect(page.locator("#drill-status")).to_have_text("Completed")
    expect(page.locator("#measure-acknowledge")).to_contain_text("Met")
    expect(page.locator("#measure-runbook")).to_contain_text("Met")
    expect(page.locator("#measure-first_update")).to_contain_text("Missed")
    expect(page.locator("#drill-incident")).to_contain_text(incident.reference)
    fits_the_screen(page)
    shoot(page, f"drills-03-{size}-report")

    finding = drill.findings.get()
    assert finding.measure == "first_update"
    card = page.locator(f"#finding-{finding.pk}")
    card.locator("select[name$='-owner']").select_option(label="alice")
    card.get_by_role("button", name="Make it an action item").click()
    page.wait_for_load_state("networkidle")
    expect(page.locator(f"#finding-{finding.pk} .drill-action")).to_contain_text("alice")
    finding.refresh_from_db()
    assert finding.action_item is not None and finding.action_item.owner == alice
    fits_the_screen(page)
    page.locator(f"#finding-{finding.pk}").scroll_into_view_if_needed()
    shoot(page, f"drills-04-{size}-action-item")

    page.click("#drill-markdown-link")
    expect(page.locator("body")).to_contain_text("# Drill report: Checkout database fails over")
    # Only the form with the error answered 400 (and the plain-text Markdown has no
    # favicon); no script failed.
    bad = [r for r in page.bad_responses if not r.endswith("/favicon.ico")]
    assert [r.split()[0] for r in bad] == ["400"], page.bad_responses
    assert all(e.startswith("Failed to load resource") for e in page.console_errors)
