"""The on-call page: the week grid of each schedule (layers, overrides, final schedule,
gaps) in the reader's zone (or the one ``?tz=`` asks for), the override form, policies
in words, the load report, team isolation and a bounded query count."""

import datetime
import re
from zoneinfo import ZoneInfo

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


def _texts(cell, zone="UTC"):
    """(from, to, who) of a day's segments as clock times in ``zone``."""

    def clock(value):
        return value.astimezone(ZoneInfo(zone)).strftime("%H:%M")

    return [
        (
            clock(s["start"]),
            "24:00" if s["to_midnight"] else clock(s["end"]),
            "gap" if s["gap"] else s["user"].username,
        )
        for s in cell
    ]


def _reads_in(user, zone):
    from oncall.contacts.models import OnCallPreference

    OnCallPreference.objects.update_or_create(user=user, defaults={"time_zone": zone})


def test_week_grid_in_the_schedules_zone_with_gaps(signed_in, team, member, manager):
    _business_hours_schedule(team, [member, manager])
    response = signed_in.get("/oncall/")
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


def test_week_grid_in_the_zone_asked_for(signed_in, team, member, manager):
    _business_hours_schedule(team, [member, manager])
    response = signed_in.get("/oncall/", {"tz": "America/New_York"})
    [week] = response.context["weeks"]
    assert response.context["zone_name"] == "America/New_York"
    monday = _final_row(week)["cells"][0]
    # 09:00–17:00 UTC is 05:00–13:00 EDT (DST began on March 8).
    assert ("05:00", "13:00", "priya") in _texts(monday, "America/New_York")
    body = response.content.decode()
    assert "05:00–13:00" in body and "Times are in <strong>America/New_York</strong>" in body
    # An unknown zone falls back to the reader's own zone with a message, not an error.
    response = signed_in.get("/oncall/", {"tz": "Mars/Olympus"}, follow=True)
    assert response.status_code == 200
    assert response.context["zone_name"] == "UTC"
    assert "Unknown time zone" in response.content.decode()


def test_grid_gaps_and_overrides_agree_in_the_readers_own_zone(signed_in, team, member, manager):
    """The old page printed the grid in one zone and the gaps and overrides in UTC under
    a "shown in Europe/Berlin" heading: an 18:00 Berlin override was listed as 17:00."""
    schedule = _business_hours_schedule(team, [member, manager])
    ScheduleOverride.objects.create(
        schedule=schedule,
        user=manager,
        start=datetime.datetime(2026, 3, 10, 17, 0, tzinfo=UTC),  # 18:00 in Berlin (CET)
        end=datetime.datetime(2026, 3, 10, 19, 0, tzinfo=UTC),  # 20:00
    )
    _reads_in(member, "Europe/Berlin")
    response = signed_in.get("/oncall/")  # no ?tz=: the reader's own zone
    assert response.context["zone_name"] == "Europe/Berlin"
    body = response.content.decode()
    assert "Times are in <strong>Europe/Berlin</strong> (your zone)" in body
    # The grid: Tuesday's final schedule has the override from 18:00 to 20:00.
    tuesday = re.search(r'<tr class="final">.*?</tr>', body, re.S).group(0)
    tuesday_cell = re.findall(r"<td[^>]*>(.*?)</td>", tuesday, re.S)[1]
    assert "18:00–20:00" in tuesday_cell and "priya" in tuesday_cell
    assert "17:00–19:00" not in body
    # The override list says the same.
    overrides = re.search(r'<ul class="overrides">(.*?)</ul>', body, re.S).group(1)
    assert "10 Mar 18:00 CET" in overrides and "10 Mar 20:00 CET" in overrides
    # And the gaps: the business day is 09:00–17:00 UTC, 10:00–18:00 in Berlin.
    gaps = re.search(r'<div class="callout warn gaps">(.*?)</div>', body, re.S).group(1)
    assert "9 Mar 18:00 CET" in gaps and "10 Mar 10:00 CET" in gaps
    assert "9 Mar 17:00" not in gaps
    # The override form reads its times in the same zone.
    signed_in.post(
        f"/oncall/schedules/{schedule.pk}/overrides/",
        {"user": member.pk, "start": "2026-03-11T18:00", "end": "2026-03-11T19:00"},
    )
    added = ScheduleOverride.objects.get(user=member)
    assert added.start == datetime.datetime(2026, 3, 11, 17, 0, tzinfo=UTC)


def test_no_inline_script_or_style_on_the_page(signed_in, team, member):
    _business_hours_schedule(team, [member])
    body = signed_in.get("/oncall/").content.decode()
    assert "<style" not in body and 'style="' not in body
    assert not re.search(r"<script(?![^>]*\bsrc=)", body)


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
    assert _texts(tuesday, "America/New_York") == [
        ("00:00", "05:00", "gap"),
        ("05:00", "08:00", "marco"),
        ("08:00", "10:00", "priya"),
        ("10:00", "13:00", "marco"),
        ("13:00", "24:00", "gap"),
    ]
    overrides_row = next(r for r in week["rows"] if r["kind"] == "override")
    assert _texts(overrides_row["cells"][1], "America/New_York") == [("08:00", "10:00", "priya")]
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
    assert '<table id="load-report" class="reflow">' in response.content.decode()


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
