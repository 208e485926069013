"""A team manager looks after the on-call rota from a phone and from a laptop: opens On
call from the menu, edits the schedule (adds a layer of two people), previews the next
two weeks before saving, saves, covers a shift with an override, and finds the calendar
link on "My shifts". Screenshots go to test-artifacts/screenshots/."""

import datetime
import re

import pytest
from playwright.sync_api import expect

from oncall.schedules.models import Schedule, ScheduleOverride
from tests.e2e.conftest import PASSWORD, SCREENSHOTS, fits_the_screen, sign_in
from tests.oncall.factories import TeamFactory, make_schedule, member_of


def _people():
    team = TeamFactory(name="Payments", slug="payments", key="PAY")
    manager = member_of(team, "priya", role="manager")
    marco = member_of(team, "marco")
    alice = member_of(team, "alice")
    other = TeamFactory(name="Mobile", slug="mobile", key="MOB")
    member_of(other, "olivia")
    for user in (manager, marco, alice):
        user.set_password(PASSWORD)
        user.save()
    today = datetime.date.today()
    make_schedule(
        team,
        [
            {
                "users": [marco],
                "rotation": "weekly",
                "handoff_time": datetime.time(9),
                "start": today - datetime.timedelta(days=today.weekday()),
            }
        ],
        name="Primary",
    )
    return team, manager, marco, alice


def _shoot(page, name):
    """``shoot`` without Playwright's caret-hiding <style>: our CSP refuses that inline
    style and the browser reports it as a console error on the next htmx swap, which
    would hide the app's own errors in ``_clean``."""
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True, caret="initial")


def _clean(page, step):
    """Nothing the browser refused (the CSP) or failed to load, so far."""
    assert page.console_errors == [], (step, page.console_errors)
    assert page.bad_responses == [], (step, page.bad_responses)


def _open_nav(page, width):
    if width == "phone":
        page.get_by_role("button", name="Menu").click()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("width", ["phone", "laptop"])
def test_manager_edits_previews_saves_covers_and_subscribes(live_server, browser, width):
    _team, manager, _marco, _alice = _people()
    page = browser.new_page(width)
    sign_in(page, live_server.url, "priya")

    _open_nav(page, width)
    page.get_by_role("link", name="On call", exact=True).click()
    page.wait_for_selector("h1:has-text('On call: Payments')")
    assert page.locator("#oncall-zone").inner_text().startswith("Times are in")
    fits_the_screen(page)
    _shoot(page, f"oncall-01-page-{width}")
    _clean(page, "01-page")

    page.get_by_role("link", name=re.compile(r"^Edit schedule")).click()
    page.wait_for_selector("h1:has-text('Edit schedule: Primary')")
    fits_the_screen(page)
    _shoot(page, f"oncall-02-editor-{width}")
    _clean(page, "02-editor")

    page.locator("#add-layer").click()
    page.wait_for_selector("#layer-1-heading")
    # Focus moves once htmx has settled the swapped form (a moment after it is inserted).
    expect(page.locator("#layer-1-name")).to_be_focused()
    page.fill("#layer-1-name", "Follow the sun")
    page.select_option("#layer-1-rotation", "daily")
    page.select_option("#layer-1-add_member", label="alice")
    page.locator("#layer-1-add-member").click()
    page.wait_for_selector("#layer-1-members li.member:has-text('alice')")
    # The picker offers only the team's people.
    options = page.locator("#layer-1-add_member option").all_inner_texts()
    assert "olivia" not in options and "marco" in options
    page.select_option("#layer-1-add_member", label="marco")
    page.locator("#layer-1-add-member").click()
    page.wait_for_selector("#layer-1-members li.member:has-text('marco')")
    assert page.locator("#layer-1-members li.member .who").all_inner_texts() == ["alice", "marco"]

    page.locator("#preview-button").click()
    page.wait_for_selector("#schedule-preview")
    assert page.locator("#schedule-preview .preview-day").count() == 14
    assert "no gaps" in page.locator("#preview-gaps").inner_text()
    assert Schedule.objects.get().layers.count() == 1  # nothing saved by the preview
    fits_the_screen(page)
    page.locator("#schedule-preview").scroll_into_view_if_needed()
    _shoot(page, f"oncall-03-preview-{width}")
    _clean(page, "03-preview")

    page.locator("#save-button").click()
    page.wait_for_selector("#messages:has-text('Schedule Primary saved.')")
    layers = list(Schedule.objects.get().layers.all())
    assert [layer.name for layer in layers] == ["", "Follow the sun"]
    assert [m.user.username for m in layers[1].members.all()] == ["alice", "marco"]
    fits_the_screen(page)
    _shoot(page, f"oncall-04-saved-{width}")
    _clean(page, "04-saved")

    page.locator("tr.final a.cover", has_text=re.compile(r"^Cover")).last.click()
    page.wait_for_selector("h1:has-text('Cover this shift')")
    assert page.locator("#id_start").input_value() != ""
    fits_the_screen(page)
    _shoot(page, f"oncall-05-cover-{width}")
    _clean(page, "05-cover")
    page.locator("#cover-submit").click()
    page.wait_for_selector("#messages:has-text('Override added: priya covers Primary.')")
    override = ScheduleOverride.objects.get()
    assert override.user == manager and override.end > override.start
    assert page.locator("ul.overrides").inner_text().startswith("priya")

    page.locator("#my-shifts-link").click()
    page.wait_for_selector("h1:has-text('My shifts')")
    link = page.locator("#subscribe-link")
    assert link.get_attribute("href").startswith("webcal://")
    assert page.locator("#feed-url").input_value().startswith("http")
    assert page.locator("#my-shifts tbody tr").count() >= 1  # the shift priya covers
    fits_the_screen(page)
    _shoot(page, f"oncall-06-my-shifts-{width}")
    _clean(page, "06-my-shifts")
