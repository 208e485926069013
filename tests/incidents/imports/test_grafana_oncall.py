"""The Grafana OnCall importer against a stand-in of its public API (paged two at a time)
and a calendar server: what it reads, what it reports it cannot carry, what applying it
creates, that a second run changes nothing, and that Tocsin's on-call person equals
Grafana OnCall's final shifts across a month with a daylight-saving change."""

import datetime
import random
from datetime import UTC

import pytest
import requests
import time_machine
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from incidents.alerts.models import Alert, Integration
from incidents.alerts.services.integrations import integration_by_routing_key
from incidents.imports.models import ImportedObject
from incidents.imports.services import import_apply, import_plan
from incidents.imports.sources import SourceError, source_reader
from oncall.policies.models import EscalationPolicy
from oncall.schedules.models import Schedule, ScheduleOverride
from oncall.schedules.selectors import schedule_oncall_user_id
from oncall.teams.models import Team
from tests.incidents.imports.standins_grafana import TOKEN, CalendarServer, GrafanaOnCallStandIn

NOW = datetime.datetime(2026, 10, 14, 12, 0, tzinfo=UTC)
NAMES = {"U1": "gus", "U2": "hana", "U3": "ivo", "U4": "jun", "U5": "kai", "U6": "lea"}

VENDOR_ICS = b"""BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//vendor//EN
BEGIN:VEVENT
UID:vendor-1
SUMMARY:hana@go.example.com
DTSTART:20261103T140000Z
DTEND:20261104T140000Z
END:VEVENT
BEGIN:VEVENT
UID:vendor-2
SUMMARY:jun
DTSTART:20260105T090000Z
DTEND:20260105T170000Z
RRULE:FREQ=WEEKLY;BYDAY=MO
END:VEVENT
END:VCALENDAR
"""

OVERRIDES_ICS = b"""BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//grafana//EN
BEGIN:VEVENT
UID:ovr-ivo
SUMMARY:ivo
DTSTART:20261105T150000Z
DTEND:20261105T170000Z
END:VEVENT
BEGIN:VEVENT
UID:ovr-old
SUMMARY:ivo
DTSTART:20260105T150000Z
DTEND:20260105T170000Z
END:VEVENT
END:VCALENDAR
"""


def _shift(shift_id, schedule, **fields):
    base = {
        "id": shift_id,
        "_schedule": schedule,
        "team_id": None,
        "schedule": schedule,
        "time_zone": None,
        "level": 0,
        "rotation_start": None,
        "interval": 1,
        "until": None,
        "week_start": "SU",
        "by_day": None,
        "by_month": None,
        "by_monthday": None,
        "source": 0,
        "users": [],
        "rolling_users": None,
        "start_rotation_from_user_index": 0,
    }
    return {**base, **fields}


def _step(step_id, chain, position, kind, **fields):
    return {
        "id": step_id,
        "escalation_chain_id": chain,
        "position": position,
        "type": kind,
        "important": False,
        **fields,
    }


def instance(calendars_url):
    users = [
        {
            "id": uid,
            "grafana_id": n,
            "email": f"{name}@go.example.com",
            "slack": [{"user_id": "UGUSSLACK", "team_id": "TSLACK"}] if uid == "U1" else [],
            "username": name,
            "role": "admin" if uid == "U1" else "editor",
            "timezone": "America/New_York",
            "teams": ["TSRE1"] if uid in ("U1", "U2", "U3", "U4") else ["TWEB2"],
        }
        for n, (uid, name) in enumerate(NAMES.items(), start=1)
    ]
    shifts = [
        _shift(
            "OWEEK",
            "SWEB1",
            name="Weekly primary",
            type="rolling_users",
            start="2026-09-07T09:00:00",
            duration=7 * 86400,
            frequency="weekly",
            week_start="MO",
            rolling_users=[["U1"], ["U2"], ["U3"]],
        ),
        _shift(
            "OBUSY",
            "SWEB1",
            name="Business hours",
            type="rolling_users",
            level=1,
            start="2026-09-01T09:00:00",
            duration=8 * 3600,
            frequency="daily",
            rolling_users=[["U4"], ["U5"]],
            start_rotation_from_user_index=1,
        ),
        _shift(
            "ONIGHT",
            "SWEB1",
            name="Weekend nights",
            type="rolling_users",
            level=2,
            start="2026-09-05T20:00:00",
            duration=10 * 3600,
            frequency="weekly",
            week_start="MO",
            by_day=["SA", "SU"],
            rolling_users=[["U6"], ["U1"]],
        ),
        _shift(
            "OOVR",
            "SWEB1",
            name="Cover for Gus",
            type="override",
            time_zone="UTC",
            start="2026-10-20T14:00:00",
            duration=4 * 3600,
            users=["U5"],
        ),
        _shift(
            "OMWF",
            "SCAL3",
            name="Mon Wed Fri",
            type="rolling_users",
            start="2026-09-07T09:00:00",
            duration=8 * 3600,
            frequency="daily",
            by_day=["MO", "WE", "FR"],
            rolling_users=[["U5"], ["U6"]],
        ),
        _shift(
            "OMONTH",
            "SCAL3",
            name="Monthly",
            type="rolling_users",
            start="2026-09-01T00:00:00",
            duration=86400,
            frequency="monthly",
            rolling_users=[["U5"]],
        ),
        _shift(
            "OPAIR",
            "SCAL3",
            name="Pairs",
            type="rolling_users",
            time_zone="Europe/Berlin",
            level=1,
            start="2026-09-07T00:00:00",
            duration=7 * 86400,
            frequency="weekly",
            rolling_users=[["U5", "U6"], ["U6"]],
        ),
    ]
    return {
        "users": users,
        "personal_notification_rules": [
            {
                "id": "NR1",
                "user_id": "U1",
                "position": 0,
                "important": True,
                "type": "notify_by_phone_call",
            },
            {
                "id": "NR2",
                "user_id": "U1",
                "position": 0,
                "important": False,
                "type": "notify_by_email",
            },
            {
                "id": "NR3",
                "user_id": "U1",
                "position": 1,
                "important": False,
                "type": "wait",
                "duration": 600,
            },
            {
                "id": "NR4",
                "user_id": "U1",
                "position": 2,
                "important": False,
                "type": "notify_by_slack",
            },
            {
                "id": "NR5",
                "user_id": "U2",
                "position": 0,
                "important": False,
                "type": "notify_by_mobile_app",
            },
        ],
        "teams": [
            {"id": "TSRE1", "name": "SRE", "email": "sre@go.example.com", "avatar_url": ""},
            {"id": "TWEB2", "name": "Web", "email": "", "avatar_url": ""},
        ],
        "schedules": [
            {
                "id": "SWEB1",
                "name": "SRE primary",
                "type": "web",
                "team_id": "TSRE1",
                "time_zone": "America/New_York",
                "on_call_now": [],
                "shifts": ["OWEEK", "OBUSY", "ONIGHT", "OOVR"],
                "ical_url_overrides": f"{calendars_url}/overrides.ics",
                "slack": {"channel_id": None, "user_group_id": None},
            },
            {
                "id": "SICAL2",
                "name": "Vendor calendar",
                "type": "ical",
                "team_id": "TWEB2",
                "ical_url_primary": f"{calendars_url}/vendor.ics",
                "ical_url_overrides": None,
                "on_call_now": [],
                "slack": {"channel_id": None, "user_group_id": None},
            },
            {
                "id": "SCAL3",
                "name": "Odd shifts",
                "type": "calendar",
                "team_id": "TWEB2",
                "time_zone": "UTC",
                "on_call_now": [],
                "shifts": ["OMWF", "OMONTH", "OPAIR"],
                "ical_url_overrides": None,
                "slack": {"channel_id": None, "user_group_id": None},
            },
        ],
        "on_call_shifts": shifts,
        "escalation_chains": [
            {"id": "EC1", "team_id": "TSRE1", "name": "SRE chain"},
            {"id": "EC2", "team_id": "TWEB2", "name": "Web chain"},
            {"id": "EC3", "team_id": None, "name": "Empty"},
        ],
        "escalation_policies": [
            _step(
                "E1", "EC1", 0, "notify_on_call_from_schedule", notify_on_call_from_schedule="SWEB1"
            ),
            _step("E2", "EC1", 1, "wait", duration=300),
            _step("E3", "EC1", 2, "notify_persons", persons_to_notify=["U1", "U2"]),
            _step("E4", "EC1", 3, "notify_team_members", team_to_notify="TSRE1"),
            _step("E5", "EC1", 4, "wait", duration=900),
            _step("E6", "EC1", 5, "notify_user_group", group_to_notify="SLACKGROUP"),
            _step("E7", "EC1", 6, "repeat_escalation"),
            _step("E8", "EC2", 0, "wait", duration=120),
            _step("E9", "EC2", 1, "notify_persons", persons_to_notify=["U5"]),
            _step(
                "E10",
                "EC2",
                2,
                "notify_person_next_each_time",
                persons_to_notify_next_each_time=["U6"],
            ),
            _step(
                "E11",
                "EC2",
                3,
                "notify_if_time_from_to",
                notify_if_time_from="09:00:00Z",
                notify_if_time_to="18:00:00Z",
            ),
        ],
        "integrations": [
            {
                "id": "I1",
                "name": "Prometheus prod",
                "team_id": "TSRE1",
                "link": "https://oncall.example.net/integrations/v1/alertmanager/Zk9sEcReT/",
                "inbound_email": None,
                "type": "alertmanager",
                "default_route": {"id": "R1", "escalation_chain_id": "EC1"},
            },
            {
                "id": "I2",
                "name": "Grafana alerts",
                "team_id": "TSRE1",
                "link": "https://oncall.example.net/integrations/v1/grafana_alerting/AbCdEf/",
                "inbound_email": None,
                "type": "grafana_alerting",
                "default_route": {"id": "R3", "escalation_chain_id": "EC1"},
            },
            {
                "id": "I3",
                "name": "Datadog",
                "team_id": "TWEB2",
                "link": "https://oncall.example.net/integrations/v1/datadog/XyZ/",
                "inbound_email": None,
                "type": "datadog",
                "default_route": {"id": "R4", "escalation_chain_id": "EC2"},
            },
        ],
        "routes": [
            {
                "id": "R1",
                "integration_id": "I1",
                "escalation_chain_id": "EC1",
                "routing_regex": None,
                "position": 1,
                "is_the_last_route": True,
            },
            {
                "id": "R2",
                "integration_id": "I1",
                "escalation_chain_id": "EC2",
                "routing_regex": "severity=critical",
                "position": 0,
                "is_the_last_route": False,
            },
            {
                "id": "R3",
                "integration_id": "I2",
                "escalation_chain_id": "EC1",
                "routing_regex": None,
                "position": 0,
                "is_the_last_route": True,
            },
        ],
    }


@pytest.fixture
def calendars():
    with CalendarServer({"/vendor.ics": VENDOR_ICS, "/overrides.ics": OVERRIDES_ICS}) as server:
        yield server


@pytest.fixture
def grafana(calendars):
    with GrafanaOnCallStandIn(instance(calendars.url), calendars) as server:
        yield server


def read(server, **kwargs):
    return source_reader("grafana-oncall")(token=TOKEN, base_url=server.url, now=NOW, **kwargs)


def notes_about(bundle_or_plan, text):
    return [n for n in bundle_or_plan.unsupported if text in f"{n.source_ref} {n.what} {n.why}"]


def test_reads_every_page_and_never_sends_the_token_to_a_calendar(grafana, calendars):
    bundle = read(grafana)

    assert [p.email for p in bundle.people] == [f"{n}@go.example.com" for n in NAMES.values()]
    assert grafana.pages_served("/api/v1/users/") == 3
    assert grafana.pages_served("/api/v1/escalation_policies/") == 6
    assert grafana.pages_served("/api/v1/schedules/") == 2
    assert all(r.headers["authorization"] == TOKEN for r in grafana.requests)
    assert calendars.headers_seen and all("authorization" not in h for h in calendars.headers_seen)
    sre, web = bundle.teams
    assert [m.person for m in sre.members] == ["U1", "U2", "U3", "U4"]
    assert [m.person for m in web.members] == ["U5", "U6"]


def test_maps_notification_steps_with_waits_and_urgency(grafana):
    bundle = read(grafana)

    gus = bundle.people[0]
    assert [(c.kind, c.address) for c in gus.contact_methods] == [
        ("email", "gus@go.example.com"),
        ("slack", "UGUSSLACK"),
    ]
    assert [(r.contact_method, r.urgency, r.delay_minutes) for r in gus.notification_rules] == [
        ("U1:email", "low", 0),
        ("U1:slack", "low", 10),
    ]
    assert notes_about(bundle, "notify_by_phone_call step")
    assert notes_about(bundle, "notify_by_mobile_app step")


def test_maps_rolling_shifts_by_level_and_reports_per_event_rotations(grafana):
    bundle = read(grafana)

    sre, vendor, odd = bundle.schedules
    assert sre.time_zone == "America/New_York"
    week, busy, nights = sre.layers
    assert (week.name, week.turn_length, week.restrictions) == (
        "Weekly primary",
        datetime.timedelta(weeks=1),
        (),
    )
    assert week.rotation_start == datetime.datetime(2026, 9, 7, 13, tzinfo=UTC)
    assert busy.people == ("U5", "U4")
    assert [(r.weekdays, r.start, r.duration_minutes) for r in busy.restrictions] == [
        ((1, 2, 3, 4, 5, 6, 7), datetime.time(9), 480)
    ]
    assert [(r.weekdays, r.start, r.duration_minutes) for r in nights.restrictions] == [
        ((6, 7), datetime.time(20), 600)
    ]
    assert [(o.external_id, o.person) for o in sre.overrides] == [
        ("OOVR", "U5"),
        ("SWEB1:ovr-ivo", "U3"),
    ]

    assert [(o.person, o.start) for o in vendor.overrides] == [
        ("U2", datetime.datetime(2026, 11, 3, 14, tzinfo=UTC))
    ]
    assert notes_about(bundle, "recurring calendar event")

    assert [layer.name for layer in odd.layers] == ["Pairs"]
    assert odd.time_zone == "UTC"
    assert notes_about(bundle, "shift time zone Europe/Berlin")
    assert notes_about(bundle, "daily shift every 1 with events of 8:00:00 on MO, WE, FR")
    assert notes_about(bundle, "monthly shift")
    assert notes_about(bundle, "turn for 2 people")


def test_escalation_steps_become_rules_split_at_waits(grafana):
    bundle = read(grafana)

    sre, web, empty = bundle.policies
    assert [([(t.kind, t.ref) for t in r.targets], r.delay_minutes) for r in sre.rules] == [
        ([("schedule", "SWEB1")], 5),
        ([("person", "U1"), ("person", "U2"), ("team", "TSRE1")], 15),
    ]
    assert sre.repeat == 5
    assert [[t.ref for t in r.targets] for r in web.rules] == [["U5"]]
    assert empty.rules == () and empty.teams == ()
    for text in (
        "notify_user_group step",
        "notify_person_next_each_time step",
        "notify_if_time_from_to step",
        "wait of 2 minutes before the first notification",
    ):
        assert notes_about(bundle, text), text


def test_integrations_map_to_kinds_and_say_their_senders_must_change_url(grafana):
    bundle = read(grafana)

    prometheus, alerting = bundle.services
    assert (prometheus.policy, prometheus.teams) == ("EC1", ("TSRE1",))
    assert [(i.kind, i.routing_key) for i in prometheus.integrations] == [
        ("alertmanager", "Zk9sEcReT")
    ]
    assert [i.kind for i in alerting.integrations] == ["alertmanager"]
    assert notes_about(bundle, "/integrations/v1/alertmanager/Zk9sEcReT/")
    assert notes_about(bundle, "route severity=critical")
    assert notes_about(bundle, "datadog integration")


def test_team_scope_and_errors(grafana):
    bundle = read(grafana, team_ids=("TWEB2",))
    assert [s.external_id for s in bundle.schedules] == ["SICAL2", "SCAL3"]
    assert [p.external_id for p in bundle.policies] == ["EC2"]
    assert {p.external_id for p in bundle.people} == {"U2", "U5", "U6"}

    with pytest.raises(SourceError, match="refused the API token"):
        source_reader("grafana-oncall")(token="nope", base_url=grafana.url, now=NOW)
    with pytest.raises(SourceError, match="needs its API URL"):
        source_reader("grafana-oncall")(token=TOKEN, base_url="", now=NOW)


def _instants():
    """20 instants across 2026-10-15 … 2026-11-14 (New York leaves daylight time on
    2026-11-01), half of them where an offset error would show."""
    chosen = [
        datetime.datetime(2026, 10, 20, 15, 0, tzinfo=UTC),  # the override
        datetime.datetime(2026, 10, 31, 23, 30, tzinfo=UTC),  # Sat 19:30 EDT
        datetime.datetime(2026, 11, 1, 0, 30, tzinfo=UTC),  # Sat 20:30 EDT, weekend night
        datetime.datetime(2026, 11, 1, 10, 30, tzinfo=UTC),  # Sun 05:30 EST, still night
        datetime.datetime(2026, 11, 1, 11, 30, tzinfo=UTC),  # Sun 06:30 EST
        datetime.datetime(2026, 11, 2, 1, 30, tzinfo=UTC),  # Sun 20:30 EST, night
        datetime.datetime(2026, 11, 2, 13, 30, tzinfo=UTC),  # Mon 08:30 EST
        datetime.datetime(2026, 11, 2, 14, 30, tzinfo=UTC),  # Mon 09:30 EST, business hours
        datetime.datetime(2026, 11, 2, 21, 30, tzinfo=UTC),  # Mon 16:30 EST, business hours
        datetime.datetime(2026, 11, 5, 16, 0, tzinfo=UTC),  # the calendar override
    ]
    rng = random.Random(20261101)
    start = datetime.datetime(2026, 10, 15, tzinfo=UTC)
    while len(chosen) < 20:
        chosen.append(start + datetime.timedelta(minutes=rng.randrange(30 * 24 * 60)))
    return chosen


def _final_shifts(server, schedule_id):
    response = requests.get(
        f"{server.url}/api/v1/schedules/{schedule_id}/final_shifts",
        params={"start_date": "2026-10-14", "end_date": "2026-11-15"},
        headers={"Authorization": TOKEN},
        timeout=10,
    )
    return [
        (
            s["user_email"],
            datetime.datetime.fromisoformat(s["shift_start"]),
            datetime.datetime.fromisoformat(s["shift_end"]),
        )
        for s in response.json()["results"]
    ]


@pytest.mark.django_db
def test_applied_import_is_on_call_like_grafana_and_a_second_run_changes_nothing(grafana, staff):
    with time_machine.travel(NOW, tick=False):
        plan = import_plan(actor=staff, source="grafana-oncall", token=TOKEN, base_url=grafana.url)
        result = import_apply(plan=plan, actor=staff)

    assert result.created["schedule"] == 3
    assert result.created["policy"] == 2
    assert [i.action for i in plan.items if i.kind == "policy" and i.external_id == "EC3"] == [
        "skip"
    ]
    assert result.created["integration"] == 2
    assert set(Team.objects.get(name="SRE").members.values_list("email", flat=True)) >= {
        "gus@go.example.com",
        "jun@go.example.com",
    }
    chain = EscalationPolicy.objects.get(name="SRE chain")
    assert (chain.repeat, [r.delay_minutes for r in chain.rules.all()]) == (5, [5, 15])
    prometheus = integration_by_routing_key("Zk9sEcReT")
    assert (prometheus.kind, prometheus.service.name) == ("alertmanager", "Prometheus prod")

    def imported(external_id):
        row = ImportedObject.objects.get(
            source="grafana-oncall", external_id=external_id, content_type__model="schedule"
        )
        return Schedule.objects.get(pk=row.object_id)

    assert ScheduleOverride.objects.filter(schedule=imported("SICAL2")).count() == 1
    schedule = imported("SWEB1")
    emails = dict(get_user_model().objects.values_list("pk", "email"))
    final = _final_shifts(grafana, "SWEB1")
    seen = set()
    for at in _instants():
        expected = {email for email, start, end in final if start <= at < end}
        tocsin = schedule_oncall_user_id(schedule=schedule, at=at)
        assert ({emails[tocsin]} if tocsin else set()) == expected, at
        seen |= expected
    assert len(seen) >= 5  # the samples see most of the rotation, not one person

    counts = {
        m: m.objects.count()
        for m in (Schedule, ScheduleOverride, EscalationPolicy, Integration, ImportedObject)
    }
    with time_machine.travel(NOW + datetime.timedelta(hours=1), tick=False):
        again = import_plan(actor=staff, source="grafana-oncall", token=TOKEN, base_url=grafana.url)
        second = import_apply(plan=again, actor=staff)

    assert second.created == {} and second.updated == {}
    assert {item.action for item in again.items} <= {"match", "skip"}
    assert {m: m.objects.count() for m in counts} == counts

    # Alertmanager, pointed at Tocsin's URL for the integration, with the same token.
    firing = {
        "version": "4",
        "status": "firing",
        "receiver": "oncall",
        "groupKey": '{}:{alertname="DiskFull"}',
        "alerts": [
            {
                "status": "firing",
                "labels": {"alertname": "DiskFull", "severity": "critical"},
                "annotations": {"summary": "Disk almost full on db1"},
                "startsAt": "2026-10-14T12:00:00Z",
                "endsAt": "0001-01-01T00:00:00Z",
                "fingerprint": "d1sk",
            }
        ],
    }
    sent = APIClient().post("/api/v1/integrations/Zk9sEcReT/alertmanager/", firing, format="json")
    assert sent.status_code == 202, sent.content
    assert Alert.objects.filter(integration=prometheus).count() == 1
