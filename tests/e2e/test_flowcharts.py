"""The flowcharts as a person finds them, on a phone and on a laptop: the team page's
response process (Teams → the team), the escalation policy's flowchart (On call →
Policy details) and an incident's lifecycle (Incidents → the incident → Lifecycle,
following a status change). Each SVG fits its box; screenshots go to
test-artifacts/screenshots/flowcharts-*.png."""

import datetime

import pytest
from playwright.sync_api import expect

from common.graphs import svg_cache_clear
from oncall.policies.models import EscalationRule
from tests.e2e.conftest import (
    AXE_JS,
    PASSWORD,
    SCREENSHOTS,
    axe_violations,
    fits_the_screen,
    sign_in,
)
from tests.incidents.factories import IncidentFactory
from tests.oncall.factories import TeamFactory, make_policy, make_schedule, member_of


def _world():
    team = TeamFactory(name="Payments", slug="payments", key="PAY")
    marco = member_of(team, "marco", first_name="Marco", last_name="Rossi")
    priya = member_of(team, "priya", role="manager", first_name="Priya", last_name="Shah")
    for user in (marco, priya):
        user.set_password(PASSWORD)
        user.save()
    today = datetime.date.today()
    schedule = make_schedule(
        team,
        [
            {
                "users": [marco, priya],
                "rotation": "weekly",
                "handoff_time": datetime.time(9),
                "start": today - datetime.timedelta(days=today.weekday()),
            }
        ],
        name="Primary",
    )
    policy = make_policy(
        team, [(5, [schedule]), (10, [priya]), (15, [team])], repeat=1, name="Payments default"
    )
    rule = EscalationRule.objects.get(policy=policy, position=2)
    rule.high_urgency_only = True
    rule.save(update_fields=["high_urgency_only"])
    incident = IncidentFactory(
        team=team, actor=marco, severity="SEV2", title="Checkout returns 502"
    )
    return team, policy, incident


def _shoot(page, name):
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True, caret="initial")


def _clean(page, step):
    """Nothing refused by the CSP or failed to load, and (when axe-core is installed) no
    serious accessibility violation."""
    assert page.console_errors == [], (step, page.console_errors)
    assert page.bad_responses == [], (step, page.bad_responses)
    if AXE_JS.exists():
        assert axe_violations(page) == [], step


def _open_nav(page, width):
    if width == "phone":
        page.get_by_role("button", name="Menu").click()


def _fits_its_box(page, figure, *, scrolls=False):
    """The drawing is visible and no wider than its box (or, ``scrolls``, the box
    scrolls it sideways), and the page itself does not scroll sideways."""
    svg = figure.locator("svg.flowchart-svg")
    expect(svg).to_be_visible()
    box = figure.locator(".flowchart-box")
    drawn = svg.bounding_box()
    assert drawn["width"] > 100 and drawn["height"] > 100
    if scrolls:
        assert box.evaluate("b => b.scrollWidth > b.clientWidth")
        expect(figure.locator(".flowchart-scroll-hint")).to_be_visible()
    else:
        assert drawn["width"] <= box.bounding_box()["width"] + 1
    fits_the_screen(page)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("width", ["phone", "laptop"])
def test_the_three_flowcharts_show_and_fit(live_server, browser, width):
    svg_cache_clear()
    _team, _policy, incident = _world()
    page = browser.new_page(width)
    sign_in(page, live_server.url, "marco")

    # The team page: the response process.
    _open_nav(page, width)
    page.locator(".site-user").get_by_role("link", name="Teams").click()
    page.get_by_role("link", name="Payments", exact=True).click()
    figure = page.locator("#response-process-figure")
    expect(page.get_by_role("heading", name="Response process")).to_be_visible()
    expect(
        page.get_by_role("img", name="Flowchart of the response process of Payments")
    ).to_be_visible()
    expect(figure.locator("svg")).to_contain_text("SEV1 · critical")
    expect(figure.locator("svg")).to_contain_text("Pages Whoever is on call for Primary")
    expect(figure.locator("svg")).to_contain_text("Postmortem required,")
    _fits_its_box(page, figure, scrolls=width == "phone")
    figure.locator("summary").click()
    expect(figure.locator("ol")).to_contain_text("SEV3 (medium, low urgency")
    _shoot(page, f"flowcharts-01-team-{width}")
    _clean(page, "team")
    with page.expect_download() as download:
        figure.get_by_role("link", name="Download the flowchart (SVG)").click()
    assert download.value.suggested_filename.endswith("-response-process.svg")

    # The policy, from the response process's link (a person can also come from On call).
    page.locator("#response-process").get_by_role("link", name="Payments default").click()
    expect(page.get_by_role("heading", name="Escalation policy: Payments default")).to_be_visible()
    figure = page.locator("#policy-flowchart")
    expect(figure.locator("svg")).to_contain_text("Rule 3 · at 15 min")
    expect(figure.locator("svg")).to_contain_text("Everyone in Payments")
    expect(figure.locator("svg")).to_contain_text("Priya Shah")
    expect(figure.locator("svg")).to_contain_text("Rounds left?")
    _fits_its_box(page, figure)
    _shoot(page, f"flowcharts-02-policy-{width}")
    _clean(page, "policy")

    # The incident: its lifecycle, which follows a status change.
    _open_nav(page, width)
    page.get_by_role("link", name="Incidents", exact=True).click()
    page.get_by_role("link", name=incident.reference, exact=True).click()
    lifecycle = page.locator("#incident-lifecycle")
    lifecycle.get_by_text("Lifecycle", exact=True).click()
    figure = page.locator("#lifecycle-figure")
    expect(
        figure.get_by_role(
            "img", name="Flowchart of the incident lifecycle; this incident is triggered"
        )
    ).to_be_visible()
    _fits_its_box(page, figure)
    page.locator("#status-select").select_option("investigating")
    page.locator("#status-message").fill("Looking at the load balancer")
    page.locator("#set-status").click()
    expect(page.locator("#incident-status")).to_have_text("Investigating")
    expect(
        page.get_by_role(
            "img", name="Flowchart of the incident lifecycle; this incident is investigating"
        )
    ).to_be_visible()
    expect(lifecycle).to_have_attribute("open", "")
    lifecycle.scroll_into_view_if_needed()
    _shoot(page, f"flowcharts-03-incident-{width}")
    _clean(page, "incident")
