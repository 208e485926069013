"""The on-call page: the week grid of each schedule (layers, overrides, final schedule,
gaps) in the viewer's zone, the override form, policies in words, the load report,
team isolation and a bounded query count."""

import datetime

import pytest

from oncall.schedules.models import ScheduleOverride
from tests.oncall.factories import make_policy, make_schedule

NOW = datetime.datetime(2026, 3, 12, 10, 0, tzinfo=datetime.UTC)  # a Thursday
UTC = datetime.UTC


pytestmark = pytest.mark.usefixtures("clock")  # every test runs at NOW, frozen


@pytest.fixture
def clock_start():
    return NOW


def _business_hours_schedule(team, users, name="Primary"):
    return make_schedule(
        team,
        [
            {
                "users": users,
                "rotation": "daily",
                "handoff_time": datetime.time(9),
                "start": datetime.date(2026, 3, 2),
                "restrictions": [{"weekdays": [1, 2, 3, 4, 5], "start": "09:00", "end": "17:00"}],
            }
        ],
        name=name,
    )


def _final_row(week):
    return next(row for row in week["rows"] if row["kind"] == "final")


def _texts(cell):
    return [(s["start"], s["end"], "gap" if s["gap"] else s["user"].username) for s in cell]


def test_week_grid_in_the_schedules_zone_with_gaps(signed_in, team, member, manager):
    _business_hours_schedule(team, [member, manager])
    response = signed_in.get("/oncall/", {"tz": "UTC"})
    assert response.status_code == 200
    [week] = response.context["weeks"]
    assert week["week"] == datetime.date(2026, 3, 9)  # Monday of the current week
    monday, *_, sunday = _final_row(week)["cells"]
    # Mar 9 is day 7 of a daily rotation of two people starting Mar 2: the second person.
    assert _texts(monday) == [
        ("00:00", "09:00", "gap"),
        ("09:00", "17:00", "priya"),
        ("17:00", "24:00", "gap"),
    ]
    assert _texts(sunday) == [("00:00", "24:00", "gap")]
    layer_monday = week["rows"][0]["cells"][0]
    assert _texts(layer_monday) == [("09:00", "17:00", "priya")]
    body = response.content.decode()
    assert 'class="gap"' in body and "Gaps this week" in body


def test_week_grid_in_the_viewers_zone(signed_in, team, member, manager):
    _business_hours_schedule(team, [member, manager])
    response = signed_in.get("/oncall/", {"tz": "America/New_York"})
    [week] = response.context["weeks"]
    assert week["zone"] == "America/New_York"
    monday = _final_row(week)["cells"][0]
    # 09:00–17:00 UTC is 05:00–13:00 EDT (DST began on March 8).
    assert ("05:00", "13:00", "priya") in _texts(monday)
    # An unknown zone falls back to the schedule's zone with a message, not an error.
    response = signed_in.get("/oncall/", {"tz": "Mars/Olympus"}, follow=True)
    assert response.status_code == 200
    assert response.context["weeks"][0]["zone"] == "UTC"
    assert "Unknown time zone" in response.content.decode()


def test_without_tz_the_page_asks_the_browser(signed_in, team, member):
    _business_hours_schedule(team, [member])
    body = signed_in.get("/oncall/").content.decode()
    assert "Intl.DateTimeFormat().resolvedOptions().timeZone" in body


def test_override_form_creates_an_override_in_the_viewers_zone(signed_in, team, member, manager):
    schedule = _business_hours_schedule(team, [member, manager])
    response = signed_in.post(
        f"/oncall/schedules/{schedule.pk}/overrides/",
        {
            "user": manager.pk,
            "start": "2026-03-10T08:00",
            "end": "2026-03-10T10:00",
            "tz": "America/New_York",
        },
    )
    assert response.status_code == 302
    override = ScheduleOverride.objects.get(schedule=schedule)
    assert override.user == manager
    assert override.start == datetime.datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
    assert override.end == datetime.datetime(2026, 3, 10, 14, 0, tzinfo=UTC)
    assert override.history.first().history_user == member
    week = signed_in.get(response["Location"]).context["weeks"][0]
    tuesday = _final_row(week)["cells"][1]
    assert _texts(tuesday) == [
        ("00:00", "05:00", "gap"),
        ("05:00", "08:00", "marco"),
        ("08:00", "10:00", "priya"),
        ("10:00", "13:00", "marco"),
        ("13:00", "24:00", "gap"),
    ]
    overrides_row = next(r for r in week["rows"] if r["kind"] == "override")
    assert _texts(overrides_row["cells"][1]) == [("08:00", "10:00", "priya")]
    # End before start: refused with a message, nothing created.
    response = signed_in.post(
        f"/oncall/schedules/{schedule.pk}/overrides/",
        {"user": member.pk, "start": "2026-03-10T10:00", "end": "2026-03-10T08:00"},
        follow=True,
    )
    assert "The end must be after the start" in response.content.decode()
    for bad in ("2026-02-30T10:00", "0001-01-01T00:00", "soon"):
        response = signed_in.post(
            f"/oncall/schedules/{schedule.pk}/overrides/",
            {"user": member.pk, "start": bad, "end": "2026-03-10T08:00"},
            follow=True,
        )
        assert response.status_code == 200
        assert "give a start and an end" in response.content.decode()
    assert ScheduleOverride.objects.count() == 1
    # Removing it.
    signed_in.post(f"/oncall/schedules/{schedule.pk}/overrides/{override.pk}/delete/")
    assert not ScheduleOverride.objects.exists()


def test_policies_read_as_sentences(signed_in, team, member, manager):
    schedule = _business_hours_schedule(team, [member, manager])
    make_policy(team, [(5, [member]), (10, [schedule]), (15, [team, manager])], repeat=2)
    response = signed_in.get("/oncall/", {"tz": "UTC"})
    [row] = response.context["policies"]
    assert row["sentences"] == [
        "at 0 min page marco",
        "after 5 min page whoever is on call for Primary",
        "after 15 min page everyone in Payments and priya",
    ]
    body = response.content.decode()
    assert "At 0 min page marco" in body and "2 more times" in body


def test_load_report_lists_members(signed_in, team, member, manager):
    from oncall.schedules.models import Handoff

    schedule = _business_hours_schedule(team, [member, manager])
    Handoff.objects.create(
        schedule=schedule,
        user=member,
        start=datetime.datetime(2026, 3, 9, 9, tzinfo=UTC),
        end=datetime.datetime(2026, 3, 9, 17, tzinfo=UTC),
        recorded_at=NOW,
    )
    response = signed_in.get("/oncall/", {"tz": "UTC"})
    panels = {p["name"]: p["context"] for p in response.context["panels"]}
    rows = {r["user"]["username"]: r for r in panels["load-report"]["rows"]}
    assert rows["marco"]["hours_on_call"] == 8.0
    assert rows["priya"]["hours_on_call"] == 0
    assert '<table id="load-report">' in response.content.decode()


def test_another_teams_schedules_are_not_found(client, member, other_team, outsider):
    theirs = _business_hours_schedule(other_team, [outsider], name="Their rota")
    client.force_login(member)
    assert client.get("/oncall/", {"team": other_team.pk}).status_code == 404
    assert "Their rota" not in client.get("/oncall/", {"tz": "UTC"}).content.decode()
    response = client.post(
        f"/oncall/schedules/{theirs.pk}/overrides/",
        {"user": outsider.pk, "start": "2026-03-10T08:00", "end": "2026-03-10T10:00"},
    )
    assert response.status_code == 404
    assert not ScheduleOverride.objects.exists()


def test_oncall_page_query_count_does_not_grow(
    signed_in, team, member, manager, django_assert_max_num_queries
):
    first = _business_hours_schedule(team, [member, manager])
    make_policy(team, [(5, [member])], name="One")
    with django_assert_max_num_queries(30) as few:
        assert signed_in.get("/oncall/", {"tz": "UTC"}).status_code == 200
    for index in range(3):
        _business_hours_schedule(team, [manager, member], name=f"Extra {index}")
        make_policy(
            team, [(5, [manager]), (5, [first]), (5, [team])], name=f"P{index}", set_default=False
        )
        ScheduleOverride.objects.create(
            schedule=first,
            user=manager,
            start=datetime.datetime(2026, 3, 10 + index, 1, tzinfo=UTC),
            end=datetime.datetime(2026, 3, 10 + index, 3, tzinfo=UTC),
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert signed_in.get("/oncall/", {"tz": "UTC"}).status_code == 200
