"""A new responder signs in through the company's OpenID Connect provider and drives an
incident from declaration to resolution, then reads the metrics. Screenshots of every
step go to test-artifacts/screenshots/."""

import re

import pytest

from incidents.models import Incident
from oncall.teams.models import TeamMembership
from tests.oncall.factories import TeamFactory


def _sign_in_with_sso(page, base_url, login):
    page.goto(base_url + "/")
    assert "/accounts/login/" in page.url  # anonymous visitors are sent to sign in
    page.get_by_role("link", name="Company SSO").click()
    page.locator("form button[type=submit], form input[type=submit]").last.click()
    # The identity provider's own sign-in and consent screens.
    page.wait_for_url(re.compile(r"http://127\.0\.0\.1:\d+/interaction/"))
    page.fill("input[name=login]", login)
    page.fill("input[name=password]", "anything")
    page.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(r"/interaction/"))
    consent = page.locator("button[type=submit]")
    if consent.count():
        consent.first.click()


@pytest.mark.django_db(transaction=True)
def test_sso_sign_in_then_a_whole_incident_in_the_browser(
    live_server, sso_settings, browser_page, shoot
):
    TeamFactory(name="SRE", slug="sre", key="SRE")
    TeamFactory(name="Mobile", slug="mobile", key="MOB")
    page = browser_page
    page.goto(live_server.url + "/")
    shoot(page, "01-sign-in-page")

    _sign_in_with_sso(page, live_server.url, "alice")
    page.wait_for_url(live_server.url + "/")
    teams = page.locator("#my-teams").inner_text()
    assert "SRE" in teams and "Mobile" not in teams
    shoot(page, "02-home-after-sso")

    page.goto(live_server.url + "/incidents/declare/")
    page.select_option("select[name=team]", label="SRE")
    page.fill("input[name=title]", "Checkout returns 502")
    page.locator("label.severity-card", has_text="SEV1").click()
    page.fill("textarea[name=summary]", "Half of the checkout requests fail.")
    shoot(page, "03-declare-form")
    page.locator("#declare-form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/incidents/\d+/$"))
    assert "Triggered" in page.locator("#incident-status").inner_text()
    assert page.locator("#incident-panel").get_attribute("hx-trigger").startswith("every 30s")
    shoot(page, "04-declared")

    page.locator("#acknowledge").click()
    page.wait_for_selector("#incident-status:has-text('Acknowledged')")
    shoot(page, "05-acknowledged")

    page.locator("#edit summary").click()
    assert page.locator("#incident-commander").inner_text() == "alice"  # the declarer
    page.select_option("#edit-form select[name=scribe]", label="alice")
    page.locator("#save-edit").click()
    page.wait_for_selector("#incident-scribe:has-text('alice')")

    page.select_option("#status-select", "identified")
    page.fill("#status-message", "The 14:02 deploy broke checkout.")
    page.locator("#set-status").click()
    page.wait_for_selector("#incident-status:has-text('Identified')")

    page.fill("#note-message", "Rolled back the 14:02 deploy; error rate falling.")
    page.locator("#add-note").click()
    page.wait_for_selector("#timeline li:has-text('Rolled back the 14:02 deploy')")
    shoot(page, "06-note-posted")

    page.select_option("#resolve-form select[name=resolution]", "fixed")
    page.fill("#resolve-message", "Deploy reverted.")
    page.locator("#resolve").click()
    page.wait_for_selector("#incident-status:has-text('Resolved')")
    assert "Fixed" in page.locator("#incident-resolution").inner_text()
    shoot(page, "07-resolved")

    page.goto(live_server.url + "/metrics/?team=sre")
    assert page.locator("#incident-count").inner_text() == "1"
    shoot(page, "08-metrics")

    incident = Incident.objects.get()
    assert (incident.status, incident.resolution, incident.source) == ("resolved", "fixed", "web")
    assert incident.created_by.email == "alice@example.com"
    assert list(incident.timeline.values_list("kind", flat=True)) == [
        "declared",
        "acknowledged",
        "role_assigned",
        "status_changed",
        "note",
        "resolved",
    ]
    mtta = (incident.acknowledged_at - incident.triggered_at).total_seconds()
    shown = page.locator("#mtta-mean").inner_text()
    assert shown == _duration(mtta)
    membership = TeamMembership.objects.get(user=incident.created_by)
    assert (membership.team.slug, membership.role) == ("sre", "member")


@pytest.mark.django_db(transaction=True)
def test_sso_sign_up_from_another_email_domain_is_refused(
    live_server, sso_settings, browser_page, shoot
):
    from django.contrib.auth import get_user_model

    TeamFactory(name="SRE", slug="sre", key="SRE")
    page = browser_page
    _sign_in_with_sso(page, live_server.url, "mallory")
    page.wait_for_load_state()
    assert "Sign Up Closed" in page.content()
    shoot(page, "09-sso-domain-refused")
    assert not get_user_model().objects.filter(email="mallory@evil.test").exists()
    page.goto(live_server.url + "/")
    assert "/accounts/login/" in page.url


def _duration(seconds):
    from incidents.templatetags.tocsin import minutes

    return minutes(seconds)
