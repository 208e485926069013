"""People in the browser: the time-zone banner at first sign-in (the browser's zone
proposed and taken), the profile, and joining a team by invitation — a manager invites
from the team's page, the invited person opens the e-mail's link, makes an account and
lands in the team. At phone and laptop widths."""

import re

import pytest

from tests.e2e.conftest import PASSWORD, fits_the_screen, nav_follow, person, sign_in
from tests.oncall.factories import TeamFactory, member_of

WIDTHS = ["phone", "laptop"]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("width", WIDTHS)
def test_browser_zone_is_proposed_at_first_sign_in_and_taken(live_server, browser, shoot, width):
    from oncall.contacts.models import OnCallPreference

    team = TeamFactory(name="Payments", key="PAY", slug="payments")
    lena = person("lena", first_name="Lena", email="lena@example.com")
    member_of(team, "lena")
    page = browser.new_page(width, timezone_id="Europe/Berlin")
    sign_in(page, live_server.url, "lena")
    banner = page.locator("form[data-time-zone-proposal]")
    banner.get_by_text("Your browser says").wait_for()
    assert "Europe/Berlin" in banner.inner_text()
    fits_the_screen(page)
    shoot(page, f"people-banner-{width}")
    banner.get_by_role("button", name="Use Europe/Berlin").click()
    page.wait_for_load_state("networkidle")
    assert "Times are now shown in Europe/Berlin." in page.content()
    assert page.url.rstrip("/") == live_server.url  # back where the banner was
    preference = OnCallPreference.objects.get(user=lena)
    assert preference.time_zone == "Europe/Berlin" and preference.time_zone_confirmed_at

    nav_follow(page, "Profile")
    assert "in your time zone, Europe/Berlin" in page.locator(".profile-now").inner_text()
    assert page.locator("#id_time_zone").input_value() == "Europe/Berlin"
    fits_the_screen(page)
    shoot(page, f"people-profile-{width}")
    page.select_option("#id_time_zone", "America/New_York")
    page.get_by_label("Saturday").check()
    page.get_by_role("button", name="Save profile").click()
    page.wait_for_load_state("networkidle")
    assert "Times are shown in America/New_York" in page.content()
    assert "in your time zone, America/New_York" in page.locator(".profile-now").inner_text()
    preference.refresh_from_db()
    assert (preference.time_zone, preference.work_days) == ("America/New_York", "123456")
    assert not page.console_errors, page.console_errors
    assert not page.bad_responses, page.bad_responses


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("width", WIDTHS)
def test_a_manager_invites_and_the_person_joins_from_the_link(live_server, browser, shoot, width):
    from django.contrib.auth import get_user_model

    from oncall.teams.models import TeamInvitation, TeamMembership
    from oncall.teams.outbox import prepare_invitation
    from outbox.models import Message

    team = TeamFactory(name="Payments", key="PAY", slug="payments")
    person("priya", email="priya@example.com")
    member_of(team, "priya", role="manager")
    manager = browser.new_page(width)
    sign_in(manager, live_server.url, "priya")
    # The banner is answered first, so it is not in the way.
    manager.get_by_role("button", name="Keep UTC").click()
    manager.wait_for_load_state("networkidle")
    nav_follow(manager, "Profile")
    manager.get_by_role("link", name="Payments").first.click()
    manager.wait_for_load_state("networkidle")
    manager.get_by_label("E-mail address").fill("nina@example.com")
    manager.get_by_label("Role").select_option("member")
    manager.get_by_role("button", name="Send invitation").click()
    manager.wait_for_load_state("networkidle")
    assert "Invitation sent to nina@example.com" in manager.content()
    invitations = manager.locator("#invitations")
    assert "nina@example.com" in invitations.inner_text()
    fits_the_screen(manager)
    shoot(manager, f"people-team-invitations-{width}")
    assert not manager.console_errors, manager.console_errors

    # The e-mail as the outbox renders it right before the send.
    message = Message.objects.get(purpose="team.invitation")
    text = prepare_invitation(message)["text"]
    link = re.search(r"http://\S+/invitations/\S+/", text).group(0)
    path = link.split("/invitations/", 1)[1]

    newcomer = browser.new_page(width, timezone_id="Asia/Tokyo")
    newcomer.goto(f"{live_server.url}/invitations/{path}")
    assert "Join Payments" in newcomer.content()
    fits_the_screen(newcomer)
    shoot(newcomer, f"people-invitation-accept-{width}")
    newcomer.get_by_label("Username").fill("nina")
    newcomer.get_by_label("First name").fill("Nina")
    newcomer.get_by_label("Password", exact=True).fill(PASSWORD + "-nina")
    newcomer.get_by_label("Password again").fill(PASSWORD + "-nina")
    newcomer.get_by_role("button", name="Make my account and join Payments").click()
    newcomer.wait_for_load_state("networkidle")
    assert "You are now in Payments" in newcomer.content()
    assert newcomer.get_by_role("heading", name=re.compile("Payments")).first.is_visible()
    # A new person never chose a zone: the banner proposes their browser's.
    assert "Asia/Tokyo" in newcomer.locator("form[data-time-zone-proposal]").inner_text()
    fits_the_screen(newcomer)
    shoot(newcomer, f"people-joined-{width}")
    nina = get_user_model().objects.get(username="nina")
    assert TeamMembership.objects.get(user=nina).team == team
    assert TeamInvitation.objects.get().accepted_by == nina
    assert not newcomer.console_errors, newcomer.console_errors
    assert not newcomer.bad_responses, newcomer.bad_responses
