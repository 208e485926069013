"""The on-call self-service pages: the schedule and escalation-policy editors (managers
and staff edit, members read, outsiders get a 404), the unsaved preview, "Cover this
shift" and "My shifts" with its calendar link."""

import datetime
import re

import pytest

from oncall.contacts.models import OnCallPreference
from oncall.policies.models import EscalationPolicy
from oncall.schedules.models import Schedule, ScheduleOverride
from oncall.teams.models import Team
from tests.oncall.factories import make_policy, make_schedule

NOW = datetime.datetime(2026, 3, 12, 10, 0, tzinfo=datetime.UTC)  # a Thursday
UTC = datetime.UTC

pytestmark = pytest.mark.usefixtures("clock")


@pytest.fixture
def clock_start():
    return NOW


def _weekly(team, users, name="Primary"):
    return make_schedule(
        team,
        [
            {
                "users": users,
                "rotation": "weekly",
                "handoff_time": datetime.time(9),
                "start": datetime.date(2026, 3, 9),
            }
        ],
        name=name,
    )


def _schedule_post(action, *, name="Primary", time_zone="UTC", layers=None, **extra):
    """The editor's form fields for ``layers`` ([{members, rotation, windows, ...}])."""
    data = {"action": action, "name": name, "time_zone": time_zone, "description": ""}
    layers = layers if layers is not None else [{"members": []}]
    data["layers"] = str(len(layers))
    for i, layer in enumerate(layers):
        p = f"layer-{i}"
        data[f"{p}-name"] = layer.get("name", "")
        data[f"{p}-rotation"] = layer.get("rotation", "weekly")
        data[f"{p}-shift_length_hours"] = layer.get("hours", "")
        data[f"{p}-handoff_time"] = layer.get("handoff", "09:00")
        data[f"{p}-start"] = layer.get("start", "2026-03-09")
        data[f"{p}-member"] = [str(u.pk) for u in layer.get("members", [])]
        windows = layer.get("windows", [])
        data[f"{p}-windows"] = str(len(windows))
        for j, (days, start, end) in enumerate(windows):
            data[f"{p}-window-{j}-days"] = [str(d) for d in days]
            data[f"{p}-window-{j}-start"] = start
            data[f"{p}-window-{j}-end"] = end
    data.update(extra)
    return data


def _errors_of(body, field_id):
    match = re.search(rf'<ul class="errorlist" id="{field_id}-errors">(.*?)</ul>', body, re.S)
    return match.group(1) if match else ""


# --- permissions ------------------------------------------------------------------------


def test_who_may_open_and_post_each_editor(
    client, team, other_team, member, manager, staff, outsider
):
    schedule = _weekly(team, [member, manager])
    policy = make_policy(team, [(5, [member])])
    pages = {
        "new schedule": f"/oncall/teams/{team.pk}/schedules/new/",
        "schedule": f"/oncall/schedules/{schedule.pk}/",
        "new policy": f"/oncall/teams/{team.pk}/policies/new/",
        "policy": f"/oncall/policies/{policy.pk}/",
    }
    expected = {
        # (GET, POST) status per person
        "manager": {name: (200, 200) for name in pages},
        "staff": {name: (200, 200) for name in pages},
        "member": {
            "new schedule": (403, 403),
            "schedule": (200, 403),
            "new policy": (403, 403),
            "policy": (200, 403),
        },
        "outsider": {name: (404, 404) for name in pages},
    }
    people = {"manager": manager, "staff": staff, "member": member, "outsider": outsider}
    for who, person in people.items():
        client.force_login(person)
        for name, url in pages.items():
            got = (
                client.get(url).status_code,
                client.post(url, {"action": "add-layer", "layers": "0", "rules": "0"}).status_code,
            )
            assert got == expected[who][name], (who, name, got)
    # Nothing a member or an outsider posted was written.
    assert Schedule.objects.count() == 1 and EscalationPolicy.objects.count() == 1


def test_members_read_the_schedule_and_policy_without_a_form(client, team, member, manager):
    schedule = _weekly(team, [member, manager])
    policy = make_policy(team, [(5, [member]), (10, [schedule])])
    client.force_login(member)
    body = client.get(f"/oncall/schedules/{schedule.pk}/").content.decode()
    assert "<form" not in body.split("<main", 1)[1].replace('action="/accounts/logout/"', "")
    assert "Only managers of Payments can change this schedule." in body
    assert "marco" in body and "priya" in body and "Weekly" in body
    body = client.get(f"/oncall/policies/{policy.pk}/").content.decode()
    assert "Whoever is on call for Primary" in body and 'id="policy-form"' not in body
    # The on-call page offers members no editing buttons.
    page = client.get("/oncall/").content.decode()
    assert "New schedule" not in page and "Edit schedule" not in page
    assert "Schedule settings" in page
    client.force_login(manager)
    page = client.get("/oncall/").content.decode()
    assert "New schedule" in page and "Edit schedule" in page and "New policy" in page


def test_a_post_by_a_member_does_not_change_the_schedule(client, team, member, manager):
    schedule = _weekly(team, [member, manager])
    client.force_login(member)
    response = client.post(
        f"/oncall/schedules/{schedule.pk}/",
        _schedule_post("save", name="Renamed", layers=[{"members": [member]}]),
    )
    assert response.status_code == 403
    assert "Only managers of Payments" in response.content.decode()
    schedule.refresh_from_db()
    assert schedule.name == "Primary"
    assert [m.user for m in schedule.layers.get().members.all()] == [member, manager]


# --- schedule editor --------------------------------------------------------------------


def test_manager_creates_a_schedule_with_a_layer_and_time_windows(
    client, team, manager, member, alice
):
    client.force_login(manager)
    data = _schedule_post(
        "save",
        name="Business hours",
        time_zone="Europe/Berlin",
        layers=[
            {
                "name": "Day",
                "rotation": "daily",
                "members": [alice, member],
                "windows": [([1, 2, 3, 4, 5], "09:00", "17:00"), ([], "", "")],
            }
        ],
    )
    response = client.post(f"/oncall/teams/{team.pk}/schedules/new/", data)
    assert response.status_code == 302
    schedule = Schedule.objects.get(name="Business hours")
    assert response["Location"] == f"/oncall/?team={team.pk}#schedule-{schedule.pk}"
    assert schedule.time_zone == "Europe/Berlin"
    layer = schedule.layers.get()
    assert layer.name == "Day" and layer.rotation == "daily"
    assert [m.user for m in layer.members.all()] == [alice, member]
    # The empty window row is dropped; the filled one is stored as the API stores it.
    assert layer.restrictions == [{"weekdays": [1, 2, 3, 4, 5], "start": "09:00", "end": "17:00"}]
    assert schedule.history.first().history_user == manager


def test_manager_edits_a_schedule_adding_a_second_layer(client, team, manager, member, alice):
    schedule = _weekly(team, [member])
    client.force_login(manager)
    body = client.get(f"/oncall/schedules/{schedule.pk}/").content.decode()
    assert 'value="Primary"' in body and f'name="layer-0-member" value="{member.pk}"' in body
    data = _schedule_post(
        "save",
        layers=[
            {"members": [member]},
            {"rotation": "custom", "hours": "12", "members": [alice, manager]},
        ],
    )
    response = client.post(f"/oncall/schedules/{schedule.pk}/", data)
    assert response.status_code == 302
    layers = list(schedule.layers.all())
    assert [layer.position for layer in layers] == [0, 1]
    assert layers[1].rotation == "custom" and layers[1].shift_length_hours == 12
    assert [m.user for m in layers[1].members.all()] == [alice, manager]


def test_buttons_add_move_and_remove_rows_without_saving(client, team, manager, member, alice):
    client.force_login(manager)
    url = f"/oncall/teams/{team.pk}/schedules/new/"

    def members(body, layer=0):
        return [int(v) for v in re.findall(rf'name="layer-{layer}-member" value="(\d+)"', body)]

    data = _schedule_post("add-member:0", layers=[{"members": [member]}])
    data["layer-0-add_member"] = str(alice.pk)
    body = client.post(url, data).content.decode()
    assert members(body) == [member.pk, alice.pk]

    data = _schedule_post("member-up:0:1", layers=[{"members": [member, alice]}])
    assert members(client.post(url, data).content.decode()) == [alice.pk, member.pk]

    data = _schedule_post("remove-member:0:0", layers=[{"members": [member, alice]}])
    assert members(client.post(url, data).content.decode()) == [alice.pk]

    data = _schedule_post("add-layer", layers=[{"members": [member]}])
    body = client.post(url, data).content.decode()
    assert 'name="layers" value="2"' in body and "Layer 2" in body

    data = _schedule_post("layer-down:0", layers=[{"members": [member]}, {"members": [alice]}])
    body = client.post(url, data).content.decode()
    assert members(body, 0) == [alice.pk] and members(body, 1) == [member.pk]

    data = _schedule_post("add-window:0", layers=[{"members": [member]}])
    body = client.post(url, data).content.decode()
    assert 'id="layer-0-window-0"' in body and 'name="layer-0-window-0-days"' in body

    data = _schedule_post("nonsense:x", layers=[{"members": [member]}])
    assert client.post(url, data).status_code == 200
    assert not Schedule.objects.exists()


def test_pickers_list_only_the_teams_people(client, team, manager, member, other_team, outsider):
    _weekly(other_team, [outsider], name="Their rota")
    client.force_login(manager)
    url = f"/oncall/teams/{team.pk}/schedules/new/"
    body = client.get(url).content.decode()
    picker = re.search(r'<select id="layer-0-add_member".*?</select>', body, re.S).group(0)
    assert "marco" in picker and "priya" in picker and "olivia" not in picker
    # A tampered pick is refused next to the picker, and not added.
    data = _schedule_post("add-member:0", layers=[{"members": []}])
    data["layer-0-add_member"] = str(outsider.pk)
    body = client.post(url, data).content.decode()
    assert "Choose someone from the team." in _errors_of(body, "layer-0-add_member")
    assert f'name="layer-0-member" value="{outsider.pk}"' not in body
    # A tampered member list is refused at saving, by the API's own check.
    body = client.post(url, _schedule_post("save", layers=[{"members": [outsider]}])).content
    # Named by id only: the manager shares no team with them (no username leaks).
    assert f"Not active members of team Payments: user {outsider.pk}." in body.decode()
    # The policy editor offers only this team's schedules and people too.
    body = client.get(f"/oncall/teams/{team.pk}/policies/new/").content.decode()
    assert "Their rota" not in body and "olivia" not in body
    assert "Everyone in Payments" in body and "Everyone in Mobile" not in body
    assert not Schedule.objects.filter(team=team).exists()


def test_validation_errors_are_shown_next_to_their_fields(client, team, manager, member):
    _weekly(team, [member], name="Taken")
    client.force_login(manager)
    url = f"/oncall/teams/{team.pk}/schedules/new/"
    data = _schedule_post(
        "save",
        name="",
        time_zone="Mars/Olympus",
        layers=[
            {"members": []},
            {"rotation": "custom", "hours": "", "members": [member]},
            {"members": [member], "windows": [([1], "09:00", "")], "start": "soon"},
        ],
    )
    response = client.post(url, data)
    assert response.status_code == 200
    body = response.content.decode()
    assert "A layer needs at least one user." in _errors_of(body, "layer-0-users")
    assert "A custom rotation needs a shift length of at least 1 hour." in _errors_of(
        body, "layer-1-shift_length_hours"
    )
    assert "Give the time the window starts and the time it ends." in _errors_of(
        body, "layer-2-window-0"
    )
    assert "Expected a date" in _errors_of(body, "layer-2-start")
    assert "Choose a time zone from the list" in _errors_of(body, "time_zone")
    assert 'aria-describedby="time_zone-help time_zone-errors"' in body
    assert 'id="form-problems"' in body and '<a href="#layer-0-users">Layer 1, people</a>' in body
    # Field keys of the API never reach the page's text.
    text = re.sub(r"<[^>]+>", " ", body)
    assert "layers[" not in text and "shift_length_hours" not in text and "users" not in text
    # Once the layers are right: the name is required, and must be free in the team.
    ok = [{"members": [member]}]
    body = client.post(url, _schedule_post("save", name="", layers=ok)).content.decode()
    assert "Give the schedule a name." in _errors_of(body, "name")
    body = client.post(url, _schedule_post("save", name="Taken", layers=ok)).content.decode()
    assert "already has a schedule named" in _errors_of(body, "name")
    assert Schedule.objects.count() == 1


def test_preview_shows_two_weeks_of_the_unsaved_schedule(client, team, manager, member, alice):
    schedule = _weekly(team, [member])
    ScheduleOverride.objects.create(
        schedule=schedule,
        user=manager,
        start=datetime.datetime(2026, 3, 13, 0, tzinfo=UTC),
        end=datetime.datetime(2026, 3, 13, 6, tzinfo=UTC),
    )
    client.force_login(manager)
    data = _schedule_post(
        "preview",
        name="Primary",
        layers=[
            {
                "rotation": "daily",
                "members": [alice, member],
                "start": "2026-03-12",
                "windows": [([1, 2, 3, 4, 5], "09:00", "17:00")],
            }
        ],
    )
    response = client.post(f"/oncall/schedules/{schedule.pk}/", data, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    body = response.content.decode()
    assert '<form method="post" id="schedule-form"' in body
    assert "<html" not in body  # htmx gets just the form
    preview = re.search(r'<section id="schedule-preview".*?</section>', body, re.S).group(0)
    days = re.findall(r"<h3>(.*?)</h3>", preview)
    assert len(days) == 14 and days[0] == "Thu 12 Mar" and days[-1] == "Wed 25 Mar"
    # Thursday: alice 09:00–17:00 (a daily rotation starting today), gaps around it;
    # Friday: the saved override (priya 00:00–06:00), a gap, then marco from 09:00.
    items = re.findall(r'<li class="preview-day">(.*?)</li>\s*</ul>', preview, re.S)
    assert '09:00–17:00</span> <span class="who">alice' in items[0]
    assert '00:00–06:00</span> <span class="who">priya' in items[1]
    assert '09:00–17:00</span> <span class="who">marco' in items[1]
    assert "Nobody is on call for" in preview  # nights and weekends are gaps
    assert "the schedule's overrides are included" in preview
    # Nothing was saved: the schedule still has its weekly layer of one.
    layer = schedule.layers.get()
    assert layer.rotation == "weekly" and [m.user for m in layer.members.all()] == [member]
    assert layer.restrictions == []


def test_preview_with_a_broken_layer_shows_the_problem_not_a_preview(client, team, manager):
    client.force_login(manager)
    body = client.post(
        f"/oncall/teams/{team.pk}/schedules/new/",
        _schedule_post("preview", layers=[{"members": []}]),
    ).content.decode()
    assert 'id="schedule-preview"' not in body
    assert "A layer needs at least one user." in body


def test_saving_through_htmx_redirects_with_a_header(client, team, manager, member):
    client.force_login(manager)
    response = client.post(
        f"/oncall/teams/{team.pk}/schedules/new/",
        _schedule_post("save", name="Nights", layers=[{"members": [member]}]),
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 204
    schedule = Schedule.objects.get(name="Nights")
    assert response["HX-Redirect"] == f"/oncall/?team={team.pk}#schedule-{schedule.pk}"


# --- escalation policies ----------------------------------------------------------------


def _policy_post(action, *, name="Checkout", repeat="1", rules=(), is_default=False):
    data = {"action": action, "name": name, "repeat": repeat, "rules": str(len(rules))}
    if is_default:
        data["is_default"] = "on"
    for i, (delay, targets, high_only) in enumerate(rules):
        data[f"rule-{i}-delay_minutes"] = delay
        data[f"rule-{i}-target"] = targets
        if high_only:
            data[f"rule-{i}-high_urgency_only"] = "on"
    return data


def test_manager_creates_and_edits_a_policy(client, team, manager, member, alice):
    schedule = _weekly(team, [member])
    client.force_login(manager)
    data = _policy_post(
        "save",
        rules=[
            ("5", [f"schedule:{schedule.pk}"], False),
            ("10", [f"user:{alice.pk}", f"team:{team.pk}"], True),
        ],
        is_default=True,
    )
    response = client.post(f"/oncall/teams/{team.pk}/policies/new/", data)
    assert response.status_code == 302
    policy = EscalationPolicy.objects.get(name="Checkout")
    rules = list(policy.rules.all())
    assert [r.delay_minutes for r in rules] == [5, 10] and policy.repeat == 1
    assert [(t.type, t.target_id) for t in rules[1].targets.all()] == [
        ("user", alice.pk),
        ("team", team.pk),
    ]
    assert rules[1].high_urgency_only and not rules[0].high_urgency_only
    assert Team.objects.get(pk=team.pk).escalation_policy == policy
    # Moving the second rule up, then saving.
    url = f"/oncall/policies/{policy.pk}/"
    body = client.post(url, {**data, "action": "rule-up:1"}).content.decode()
    assert body.index('value="10"') < body.index('value="5"')
    swapped = _policy_post(
        "save",
        rules=[("10", [f"user:{alice.pk}"], True), ("5", [f"schedule:{schedule.pk}"], False)],
    )
    assert client.post(url, swapped).status_code == 302
    assert [r.delay_minutes for r in policy.rules.all()] == [10, 5]
    assert Team.objects.get(pk=team.pk).escalation_policy is None  # unticked


def test_policy_errors_in_plain_words(client, team, manager, other_team, outsider):
    theirs = _weekly(other_team, [outsider], name="Their rota")
    client.force_login(manager)
    data = _policy_post(
        "save",
        name="",
        repeat="12",
        rules=[("0", [], False), ("5", [f"schedule:{theirs.pk}"], False)],
    )
    body = client.post(f"/oncall/teams/{team.pk}/policies/new/", data).content.decode()
    assert "Give the policy a name." in _errors_of(body, "name")
    assert "Give a number from 0 to 9." in _errors_of(body, "repeat")
    assert "at least 1" in _errors_of(body, "rule-0-delay_minutes")
    assert "A rule needs at least one target." in _errors_of(body, "rule-0-targets")
    assert "No schedule with id" in _errors_of(body, "rule-1-targets")
    text = re.sub(r"<[^>]+>", " ", body)  # what a reader sees: no API field names
    assert "rules[" not in text and "delay_minutes" not in text and "high_urgency" not in text
    body = client.post(f"/oncall/teams/{team.pk}/policies/new/", _policy_post("save")).content
    assert "A policy needs at least one rule." in body.decode()
    assert not EscalationPolicy.objects.exists()


# --- cover this shift -------------------------------------------------------------------


def _epoch(value):
    return str(int(value.timestamp()))


def test_cover_this_shift_prefills_the_override_in_the_readers_zone(
    client, team, member, manager, alice
):
    schedule = _weekly(team, [manager, alice])
    OnCallPreference.objects.create(user=member, time_zone="Europe/Berlin")
    client.force_login(member)
    page = client.get("/oncall/").content.decode()
    link = re.search(r'href="(/oncall/schedules/\d+/cover/\?[^"]+)">Cover<', page).group(1)
    link = link.replace("&amp;", "&")
    response = client.get(link)
    body = response.content.decode()
    assert response.status_code == 200 and "Cover this shift" in body
    # priya's weekly shift from Mon 9 Mar 09:00 UTC: 10:00 in Berlin.
    assert 'name="start" value="2026-03-09T10:00"' in body
    assert 'name="end" value="2026-03-16T10:00"' in body
    # A member covers only themselves: no picker.
    assert '<select name="user"' not in body and "you (marco)" in body
    response = client.post(
        link,
        {"user": member.pk, "start": "2026-03-12T18:00", "end": "2026-03-13T08:00", "for": ""},
    )
    assert response.status_code == 302
    assert response["Location"] == f"/oncall/?team={team.pk}&week=2026-03-12#schedule-{schedule.pk}"
    override = ScheduleOverride.objects.get()
    assert override.user == member
    assert override.start == datetime.datetime(2026, 3, 12, 17, tzinfo=UTC)
    # Naming someone else is refused for a member.
    response = client.post(
        link, {"user": manager.pk, "start": "2026-03-14T18:00", "end": "2026-03-14T20:00"}
    )
    assert response.status_code == 200
    assert "Choose someone from the list." in response.content.decode()
    assert ScheduleOverride.objects.count() == 1


def test_cover_form_errors_and_managers_pick(client, team, member, manager, alice):
    schedule = _weekly(team, [member])
    client.force_login(manager)
    start = datetime.datetime(2026, 3, 12, 9, tzinfo=UTC)
    url = (
        f"/oncall/schedules/{schedule.pk}/cover/?start={_epoch(start)}&end=nonsense&for={member.pk}"
    )
    body = client.get(url).content.decode()
    picker = re.search(r'<select name="user".*?</select>', body, re.S).group(0)
    assert "alice" in picker and "marco" in picker and "priya" in picker
    response = client.post(
        url, {"user": alice.pk, "start": "2026-03-12T10:00", "end": "2026-03-12T09:00"}
    )
    body = response.content.decode()
    assert "The end must be after the start." in body
    assert 'aria-invalid="true"' in body and 'id="id_end_error"' in body
    response = client.post(url, {"user": alice.pk, "start": "2026-03-12T10:00", "end": ""})
    assert "This field is required." in response.content.decode()
    response = client.post(
        url, {"user": alice.pk, "start": "2026-03-12T10:00", "end": "2026-03-12T12:00"}
    )
    assert response.status_code == 302
    assert ScheduleOverride.objects.get().user == alice


def test_find_cover_for_my_own_shift_lists_my_teammates(client, team, member, alice):
    schedule = _weekly(team, [member])
    client.force_login(member)
    start = datetime.datetime(2026, 3, 12, 10, tzinfo=UTC)
    end = datetime.datetime(2026, 3, 16, 9, tzinfo=UTC)
    url = f"/oncall/schedules/{schedule.pk}/cover/?start={_epoch(start)}&end={_epoch(end)}&for={member.pk}"
    body = client.get(url).content.decode()
    assert "Find cover" in body and "your shift" in body
    picker = re.search(r'<select name="user".*?</select>', body, re.S).group(0)
    assert "alice" in picker and "marco" not in picker


def test_cover_of_another_teams_schedule_is_not_found(client, member, other_team, outsider):
    theirs = _weekly(other_team, [outsider])
    client.force_login(member)
    assert client.get(f"/oncall/schedules/{theirs.pk}/cover/").status_code == 404
    assert client.post(f"/oncall/schedules/{theirs.pk}/cover/", {}).status_code == 404


# --- my shifts --------------------------------------------------------------------------


def test_my_shifts_lists_the_next_four_weeks_and_the_calendar_link(
    client, team, other_team, member, manager, settings
):
    settings.SITE_URL = "https://tocsin.example.com"
    _weekly(team, [member, manager])  # marco: weeks from Mar 9 and Mar 23
    second = make_schedule(other_team, [], name="Mobile")
    # An override on a schedule of a team I am not in does not count.
    ScheduleOverride.objects.create(
        schedule=second,
        user=member,
        start=datetime.datetime(2026, 3, 20, tzinfo=UTC),
        end=datetime.datetime(2026, 3, 21, tzinfo=UTC),
    )
    client.force_login(member)
    body = client.get("/oncall/my-shifts/").content.decode()
    rows = re.findall(r"<tr>(.*?)</tr>", body.split('id="my-shifts"')[1], re.S)[1:]
    assert len(rows) == 3  # this week, and the weeks of Mar 23 and Apr 6 (cut at Apr 9)
    assert "on call now" in rows[0] and "Primary" in rows[0]
    assert "23 Mar 09:00" in rows[1] and "30 Mar 09:00" in rows[1]
    assert "6 Apr 09:00" in rows[2] and "9 Apr 10:00" in rows[2]
    assert "Find cover" in rows[0] and "Mobile" not in body
    token = OnCallPreference.objects.get(user=member).ical_token
    assert f'href="webcal://tocsin.example.com/ical/users/{token}.ics"' in body
    assert f'value="https://tocsin.example.com/ical/users/{token}.ics"' in body
    assert '<label for="feed-url">' in body


def test_my_shifts_with_none_and_its_query_count(
    client, team, member, manager, django_assert_max_num_queries
):
    client.force_login(member)
    assert (
        "You have no shifts in the next 4 weeks."
        in client.get("/oncall/my-shifts/").content.decode()
    )
    _weekly(team, [member, manager])
    with django_assert_max_num_queries(30) as few:
        assert client.get("/oncall/my-shifts/").status_code == 200
    for n in range(4):
        _weekly(team, [member], name=f"Extra {n}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        body = client.get("/oncall/my-shifts/").content.decode()
    assert body.count("Find cover<") == 7  # Primary's three weeks, one shift on each extra
