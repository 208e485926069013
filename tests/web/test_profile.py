"""The profile page (name, time zone, working hours, contact methods, teams), the time
zone it sets for every page, and the proposal of the browser's zone at first sign-in."""

from datetime import UTC, datetime, time

import pytest
from django.urls import reverse

from oncall.contacts.models import ContactMethod, OnCallPreference
from outbox.models import Message
from tests.oncall.factories import UserFactory

NOON_UTC = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
PASSWORD = "a long enough pass phrase"


@pytest.fixture
def at_noon(time_machine):
    time_machine.move_to(NOON_UTC, tick=False)


def _save(client, **changes):
    data = {
        "first_name": "Marco",
        "last_name": "Rossi",
        "time_zone": "UTC",
        "work_starts": "09:00",
        "work_ends": "17:30",
        "work_days": ["1", "2", "3", "4", "5"],
    }
    data.update(changes)
    return client.post(reverse("web:profile"), data)


def test_profile_shows_the_person_and_their_zone(signed_in, member, at_noon):
    body = signed_in.get(reverse("web:profile")).content.decode()
    assert "marco" in body
    assert "It is now" in body and "12:00" in body and "UTC" in body
    assert '<optgroup label="Europe">' in body
    assert "Berlin (UTC+1)" in body  # the zone's offset today


def test_saving_a_zone_changes_how_times_are_shown_at_once(signed_in, member, at_noon):
    response = _save(signed_in, time_zone="Europe/Berlin")
    assert response.status_code == 302
    preference = OnCallPreference.objects.get(user=member)
    assert preference.time_zone == "Europe/Berlin"
    assert (preference.work_starts, preference.work_ends) == (time(9), time(17, 30))
    assert preference.work_days == "12345"
    assert preference.time_zone_confirmed_at is not None
    member.refresh_from_db()
    assert (member.first_name, member.last_name) == ("Marco", "Rossi")
    body = signed_in.get(reverse("web:profile")).content.decode()
    # Noon in UTC is 13:00 in Berlin in January, on this page as on every other.
    assert "13:00 CET" in body and "12:00 UTC" not in body
    assert "Profile saved. Times are shown in Europe/Berlin." in body


def test_a_saved_zone_changes_times_on_other_pages_too(at_noon, signed_in, member, team):
    body = signed_in.get(reverse("web:team-detail", args=[team.pk])).content.decode()
    assert "12:00 UTC" in body  # marco joined "now"
    _save(signed_in, time_zone="America/New_York")
    body = signed_in.get(reverse("web:team-detail", args=[team.pk])).content.decode()
    assert "07:00 EST" in body


def test_bad_profile_input_is_explained_and_nothing_is_saved(signed_in, member):
    response = _save(signed_in, time_zone="Mars/Olympus_Mons", work_starts="25:99")
    body = response.content.decode()
    assert response.status_code == 400
    assert "Select a valid choice" in body and "Enter a valid time" in body
    assert 'aria-invalid="true"' in body
    assert not OnCallPreference.objects.filter(user=member, time_zone="Mars/Olympus_Mons")


def test_contact_methods_are_listed_with_a_test_button(signed_in, member, client):
    method = ContactMethod.objects.create(user=member, kind="email", address="m@example.com")
    ContactMethod.objects.create(user=member, kind="sms", address="+14155550100")
    body = signed_in.get(reverse("web:profile")).content.decode()
    assert "m@example.com" in body and "Number not verified yet" in body
    assert body.count("Send test notification") == 1  # not for the unverified number
    response = signed_in.post(reverse("web:profile-contact-test", args=[method.pk]), follow=True)
    assert "A test notification is on its way" in response.content.decode()
    assert Message.objects.filter(purpose="contact.test", recipient=member).count() == 1
    # A second one within the minute is refused, with a reason.
    response = signed_in.post(reverse("web:profile-contact-test", args=[method.pk]), follow=True)
    assert "try again in" in response.content.decode()
    assert Message.objects.filter(purpose="contact.test").count() == 1


def test_nobody_tests_someone_elses_contact_method(signed_in, outsider):
    theirs = ContactMethod.objects.create(user=outsider, kind="email", address="o@example.com")
    response = signed_in.post(reverse("web:profile-contact-test", args=[theirs.pk]))
    assert response.status_code == 404
    assert not Message.objects.exists()


def test_profile_needs_a_signed_in_person(client, db):
    response = client.get(reverse("web:profile"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


# --- the proposal at first sign-in -------------------------------------------------------


@pytest.fixture
def lena(db):
    user = UserFactory(username="lena")
    user.set_password(PASSWORD)
    user.save()
    return user


def _sign_in(client):
    response = client.post("/accounts/login/", {"login": "lena", "password": PASSWORD})
    assert response.status_code == 302
    return client.get(response["Location"]).content.decode()


def test_first_page_after_sign_in_proposes_the_browsers_zone(client, lena):
    body = _sign_in(client)
    assert "data-time-zone-proposal" in body
    assert "Keep UTC" in body
    assert "js/timezone.js" in body
    # Once only: the next page has no banner.
    assert "data-time-zone-proposal" not in client.get("/").content.decode()


def test_answering_with_the_browsers_zone_saves_it(client, lena):
    _sign_in(client)
    response = client.post(
        reverse("web:profile-time-zone"),
        {"choice": "browser", "browser_time_zone": "Europe/Berlin", "next": "/incidents/"},
    )
    assert response.status_code == 302 and response["Location"] == "/incidents/"
    preference = OnCallPreference.objects.get(user=lena)
    assert preference.time_zone == "Europe/Berlin" and preference.time_zone_confirmed_at
    client.logout()
    assert "data-time-zone-proposal" not in _sign_in(client)


def test_keep_utc_confirms_too(client, lena):
    _sign_in(client)
    client.post(reverse("web:profile-time-zone"), {"choice": "keep", "next": "/"})
    preference = OnCallPreference.objects.get(user=lena)
    assert preference.time_zone == "UTC" and preference.time_zone_confirmed_at
    client.logout()
    assert "data-time-zone-proposal" not in _sign_in(client)


@pytest.mark.parametrize(
    "data, message",
    [
        ({"choice": "browser", "browser_time_zone": "Mars/Olympus"}, "does not know the time zone"),
        ({"choice": "browser", "browser_time_zone": ""}, "did not say its time zone"),
        ({"choice": "maybe"}, "Choose to use your browser"),
    ],
)
def test_a_bad_answer_is_explained_and_changes_nothing(client, lena, data, message):
    _sign_in(client)
    response = client.post(reverse("web:profile-time-zone"), data, follow=True)
    assert message in response.content.decode()
    assert not OnCallPreference.objects.filter(user=lena, time_zone_confirmed_at__isnull=False)


def test_the_answer_never_redirects_elsewhere(client, lena):
    _sign_in(client)
    response = client.post(
        reverse("web:profile-time-zone"), {"choice": "keep", "next": "https://evil.test/"}
    )
    assert response["Location"] == reverse("web:profile")


def test_a_zone_changed_through_the_api_shows_at_once_and_the_api_stays_utc(
    signed_in, team, member, at_noon
):
    from tests.incidents.factories import IncidentFactory

    incident = IncidentFactory(team=team, actor=member)
    # The same browser session: a page in UTC, then the zone changed over the API.
    assert "12:00 UTC" in signed_in.get(reverse("web:profile")).content.decode()
    changed = signed_in.put(
        "/api/v1/users/me/oncall-preferences/",
        {"time_zone": "Europe/Berlin"},
        content_type="application/json",
    )
    assert changed.status_code == 200, changed.content
    body = signed_in.get(reverse("web:profile")).content.decode()
    assert "13:00 CET" in body and "12:00 UTC" not in body
    # The API answers in UTC whoever asks: a session in Berlin gets the same offsets.
    answer = signed_in.get("/api/v1/users/me/oncall-preferences/").json()
    assert answer["time_zone"] == "Europe/Berlin"
    triggered = signed_in.get(f"/api/v1/incidents/{incident.pk}/").json()["triggered_at"]
    assert triggered.endswith(("Z", "+00:00")), triggered
