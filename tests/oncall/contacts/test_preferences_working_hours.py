"""A person's time zone and working hours through the API: low-urgency pages wait for
them (tests/incidents/paging/test_paging_promises.py shows the paging side)."""

import pytest

from oncall.contacts.models import OnCallPreference

URL = "/api/v1/users/me/oncall-preferences/"


@pytest.mark.django_db
def test_a_person_sets_their_zone_and_hours(api, alice):
    client = api.as_user(alice)
    answer = client.put(
        URL,
        {
            "time_zone": "Europe/Berlin",
            "work_starts": "08:30",
            "work_ends": "17:00",
            "work_days": "5123",
        },
        format="json",
    )
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert (body["time_zone"], body["work_starts"], body["work_ends"], body["work_days"]) == (
        "Europe/Berlin",
        "08:30",
        "17:00",
        "1235",
    )
    # Left out: unchanged.
    assert client.put(URL, {"notify_at_shift_end": True}, format="json").json()["time_zone"] == (
        "Europe/Berlin"
    )


@pytest.mark.django_db
def test_a_zone_that_does_not_exist_is_a_clear_400(api, alice):
    answer = api.as_user(alice).put(URL, {"time_zone": "Mars/Olympus"}, format="json")
    assert answer.status_code == 400
    assert "IANA" in str(answer.json())
    assert not OnCallPreference.objects.filter(user=alice, time_zone="Mars/Olympus").exists()
    answer = api.as_user(alice).put(URL, {"work_days": "18"}, format="json")
    assert answer.status_code == 400 and "work_days" in str(answer.json())
