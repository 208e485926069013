"""The Opsgenie importer against a stand-in of Opsgenie's REST API (paged two at a time):
what it reads, what it reports it cannot carry, what applying it creates, that a second
run changes nothing, and that Tocsin's on-call person equals Opsgenie's answer across a
month with a daylight-saving change."""

import datetime
import json
import random
from datetime import UTC

import pytest
import requests
import time_machine
from django.contrib.auth import get_user_model
from django.test import Client

from incidents.alerts.models import Alert, Integration
from incidents.alerts.services.integrations import integration_by_routing_key
from incidents.imports.models import ImportedObject
from incidents.imports.services import import_apply, import_plan
from incidents.imports.sources import SourceError, source_reader
from oncall.policies.models import EscalationPolicy
from oncall.schedules.models import Schedule
from oncall.schedules.selectors import schedule_oncall_user_id
from oncall.teams.models import Team
from tests.incidents.imports.standins_opsgenie import KEY, OpsgenieStandIn
from tests.oncall.factories import UserFactory

NOW = datetime.datetime(2026, 10, 9, 12, 0, tzinfo=UTC)
API_KEY = "0f3c1b2a-7d4e-4c55-9a1b-3e2f1d0c9b8a"
PROM_KEY = "5b6a7c8d-1e2f-4a3b-8c9d-0e1f2a3b4c5d"


def _user(uid, name):
    return {
        "id": uid,
        "username": f"{name}@og.example.com",
        "fullName": name.title(),
        "role": {"id": "User", "name": "User"},
        "timeZone": "Europe/Berlin",
        "locale": "en_US",
        "blocked": False,
        "verified": True,
        "createdAt": "2025-01-01T00:00:00Z",
    }


def _week_window(start_day, start_hour, end_day, end_hour):
    return {
        "startDay": start_day,
        "startHour": start_hour,
        "startMin": 0,
        "endDay": end_day,
        "endHour": end_hour,
        "endMin": 0,
    }


def _participant(uid, name):
    return {"type": "user", "id": uid, "username": f"{name}@og.example.com"}


def account():
    names = {"u-a": "ana", "u-b": "ben", "u-c": "cem", "u-d": "dora", "u-e": "emil", "u-f": "fay"}
    who = {uid: _participant(uid, name) for uid, name in names.items()}
    nights = [
        _week_window(day, 18, following, 9)
        for day, following in [
            ("monday", "tuesday"),
            ("tuesday", "wednesday"),
            ("wednesday", "thursday"),
            ("thursday", "friday"),
        ]
    ]
    berlin = {
        "id": "s-berlin",
        "name": "Platform primary",
        "description": "Follow the sun, Berlin edition",
        "timezone": "Europe/Berlin",
        "enabled": True,
        "ownerTeam": {"id": "t-plat", "name": "Platform"},
        "rotations": [
            {
                "id": "r-days",
                "name": "Working days",
                "startDate": "2026-09-07T07:00:00Z",  # Monday 09:00 CEST
                "type": "weekly",
                "length": 1,
                "participants": [who["u-a"], who["u-b"], who["u-c"]],
                "timeRestriction": {
                    "type": "weekday-and-time-of-day",
                    "restrictions": [
                        _week_window(day, 9, day, 18)
                        for day in ("monday", "tuesday", "wednesday", "thursday", "friday")
                    ],
                },
            },
            {
                "id": "r-weekend",
                "name": "Weekends",
                "startDate": "2026-09-04T16:00:00Z",  # Friday 18:00 CEST
                "type": "daily",
                "length": 1,
                "participants": [who["u-d"], who["u-e"]],
                "timeRestriction": {
                    "type": "weekday-and-time-of-day",
                    "restrictions": [_week_window("friday", 18, "monday", 9)],
                },
            },
            {
                "id": "r-nights",
                "name": "Nights",
                "startDate": "2026-09-01T04:00:00Z",  # 06:00 CEST
                "type": "hourly",
                "length": 12,
                "participants": [who["u-c"], who["u-d"], who["u-f"]],
                "timeRestriction": {"type": "weekday-and-time-of-day", "restrictions": nights},
            },
        ],
    }
    odd = {
        "id": "s-odd",
        "name": "Odd shapes",
        "timezone": "UTC",
        "enabled": False,
        "ownerTeam": {"id": "t-web", "name": "Web"},
        "rotations": [
            {
                "id": "r-gappy",
                "name": "Gappy",
                "startDate": "2026-01-05T09:00:00Z",
                "type": "daily",
                "length": 2,
                "participants": [
                    who["u-e"],
                    {"type": "none"},
                    {"type": "team", "id": "t-web", "name": "Web"},
                ],
                "timeRestriction": {
                    "type": "time-of-day",
                    "restriction": {"startHour": 8, "startMin": 0, "endHour": 20, "endMin": 0},
                },
            },
            {
                "id": "r-old",
                "name": "Old",
                "startDate": "2025-01-05T09:00:00Z",
                "endDate": "2026-01-01T00:00:00Z",
                "type": "weekly",
                "length": 1,
                "participants": [who["u-f"]],
            },
            {
                "id": "r-always",
                "name": "Always",
                "startDate": "2026-01-05T09:00:00Z",
                "endDate": "2027-01-01T00:00:00Z",
                "type": "weekly",
                "length": 2,
                "participants": [who["u-f"], who["u-e"]],
            },
        ],
    }
    backup = {
        "id": "s-backup",
        "name": "Web backup",
        "timezone": "America/New_York",
        "enabled": True,
        "ownerTeam": {"id": "t-web", "name": "Web"},
        "rotations": [
            {
                "id": "r-backup",
                "name": "Backup",
                "startDate": "2026-06-01T13:00:00Z",
                "type": "weekly",
                "length": 1,
                "participants": [who["u-e"], who["u-f"]],
            }
        ],
    }
    return {
        "users": [_user(uid, name) for uid, name in names.items()],
        "contacts": {
            "u-a": [
                {
                    "id": "c-a-email",
                    "method": "email",
                    "to": "ana@og.example.com",
                    "status": {"enabled": True},
                },
                {
                    "id": "c-a-sms",
                    "method": "sms",
                    "to": "49-1701234567",
                    "status": {"enabled": True},
                },
                {
                    "id": "c-a-mobile",
                    "method": "mobile",
                    "to": "Pixel",
                    "status": {"enabled": True},
                },
            ],
            "u-b": [
                {
                    "id": "c-b-voice",
                    "method": "voice",
                    "to": "1-4155550100",
                    "status": {"enabled": True},
                }
            ],
        },
        "rules": {
            "u-a": [
                {
                    "id": "nr-a-create",
                    "name": "New alert",
                    "actionType": "create-alert",
                    "order": 0,
                    "enabled": True,
                    "criteria": {"type": "match-all"},
                    "steps": [
                        {
                            "id": "st-1",
                            "contact": {"method": "email", "to": "ana@og.example.com"},
                            "sendAfter": {"timeAmount": 0, "timeUnit": "minutes"},
                            "enabled": True,
                        },
                        {
                            "id": "st-2",
                            "contact": {"method": "sms", "to": "49-1701234567"},
                            "sendAfter": {"timeAmount": 5, "timeUnit": "minutes"},
                            "enabled": True,
                        },
                    ],
                },
                {
                    "id": "nr-a-close",
                    "name": "Closed alert",
                    "actionType": "close-alert",
                    "order": 1,
                    "enabled": True,
                    "steps": [],
                },
            ]
        },
        "teams": [
            {
                "id": "t-plat",
                "name": "Platform",
                "description": "Keeps the lights on",
                "members": [
                    {"user": {"id": "u-a", "username": "ana@og.example.com"}, "role": "admin"},
                    {"user": {"id": "u-b", "username": "ben@og.example.com"}, "role": "user"},
                    {"user": {"id": "u-c", "username": "cem@og.example.com"}, "role": "user"},
                    {"user": {"id": "u-d", "username": "dora@og.example.com"}, "role": "user"},
                ],
            },
            {
                "id": "t-web",
                "name": "Web",
                "description": "",
                "members": [
                    {"user": {"id": "u-e", "username": "emil@og.example.com"}, "role": "admin"},
                    {"user": {"id": "u-f", "username": "fay@og.example.com"}, "role": "observer"},
                ],
            },
        ],
        "routing_rules": {
            "t-plat": [
                {
                    "id": "rr-1",
                    "name": "Default",
                    "isDefault": True,
                    "order": 0,
                    "criteria": {"type": "match-all"},
                    "notify": {
                        "type": "escalation",
                        "id": "esc-plat",
                        "name": "Platform escalation",
                    },
                }
            ],
            "t-web": [
                {
                    "id": "rr-2",
                    "name": "Default",
                    "isDefault": True,
                    "order": 0,
                    "criteria": {"type": "match-all"},
                    "notify": {"type": "schedule", "id": "s-backup", "name": "Web backup"},
                }
            ],
        },
        "schedules": [berlin, odd, backup],
        "overrides": {
            "s-berlin": [
                {
                    "alias": "ovr-fay",
                    "user": {"type": "user", "id": "u-f", "username": "fay@og.example.com"},
                    "startDate": "2026-10-20T10:00:00Z",
                    "endDate": "2026-10-21T10:00:00Z",
                    "rotations": [],
                },
                {
                    "alias": "ovr-past",
                    "user": {"type": "user", "id": "u-b", "username": "ben@og.example.com"},
                    "startDate": "2026-09-01T10:00:00Z",
                    "endDate": "2026-09-02T10:00:00Z",
                    "rotations": [],
                },
            ]
        },
        "escalations": [
            {
                "id": "esc-plat",
                "name": "Platform escalation",
                "description": "",
                "ownerTeam": {"id": "t-plat", "name": "Platform"},
                "rules": [
                    {
                        "condition": "if-not-acked",
                        "notifyType": "default",
                        "delay": {"timeAmount": 0, "timeUnit": "minutes"},
                        "recipient": {
                            "type": "schedule",
                            "id": "s-berlin",
                            "name": "Platform primary",
                        },
                    },
                    {
                        "condition": "if-not-acked",
                        "notifyType": "default",
                        "delay": {"timeAmount": 10, "timeUnit": "minutes"},
                        "recipient": {
                            "type": "user",
                            "id": "u-b",
                            "username": "ben@og.example.com",
                        },
                    },
                    {
                        "condition": "if-not-acked",
                        "notifyType": "all",
                        "delay": {"timeAmount": 10, "timeUnit": "minutes"},
                        "recipient": {"type": "team", "id": "t-plat", "name": "Platform"},
                    },
                    {
                        "condition": "if-not-acked",
                        "notifyType": "next",
                        "delay": {"timeAmount": 30, "timeUnit": "minutes"},
                        "recipient": {
                            "type": "schedule",
                            "id": "s-berlin",
                            "name": "Platform primary",
                        },
                    },
                ],
                "repeat": {
                    "waitInterval": 15,
                    "count": 2,
                    "resetRecipientStates": False,
                    "closeAlertAfterAll": False,
                },
            },
            {
                "id": "esc-web",
                "name": "Web escalation",
                "ownerTeam": {"id": "t-web", "name": "Web"},
                "rules": [
                    {
                        "condition": "if-not-closed",
                        "notifyType": "default",
                        "delay": {"timeAmount": 5, "timeUnit": "minutes"},
                        "recipient": {
                            "type": "user",
                            "id": "u-e",
                            "username": "emil@og.example.com",
                        },
                    },
                ],
            },
            {
                "id": "esc-solo",
                "name": "Solo",
                "ownerTeam": {"id": "t-plat", "name": "Platform"},
                "rules": [
                    {
                        "condition": "if-not-acked",
                        "notifyType": "default",
                        "delay": {"timeAmount": 0, "timeUnit": "minutes"},
                        "recipient": {
                            "type": "user",
                            "id": "u-a",
                            "username": "ana@og.example.com",
                        },
                    }
                ],
            },
        ],
        "integrations": [
            {
                "id": "i-api",
                "name": "Platform API",
                "enabled": True,
                "type": "API",
                "teamId": "t-plat",
                "version": "v2",
                "apiKey": API_KEY,
            },
            {
                "id": "i-prom",
                "name": "Prometheus",
                "enabled": True,
                "type": "Prometheus",
                "teamId": "t-plat",
                "version": "v2",
                "apiKey": PROM_KEY,
            },
            {
                "id": "i-mail",
                "name": "Email",
                "enabled": True,
                "type": "Email",
                "teamId": "t-web",
                "version": "v1",
                "emailAddress": "x@og.app.opsgenie.net",
            },
        ],
    }


@pytest.fixture
def opsgenie():
    with OpsgenieStandIn(account()) as server:
        yield server


def read(server, **kwargs):
    return source_reader("opsgenie")(token=KEY, base_url=server.url, now=NOW, **kwargs)


def notes_about(bundle_or_plan, text):
    return [n for n in bundle_or_plan.unsupported if text in f"{n.source_ref} {n.what} {n.why}"]


def test_reads_every_page_of_users_schedules_escalations_and_integrations(opsgenie):
    bundle = read(opsgenie)

    assert [p.email for p in bundle.people] == [
        f"{n}@og.example.com" for n in ("ana", "ben", "cem", "dora", "emil", "fay")
    ]
    assert opsgenie.pages_served("/v2/users") == 3
    assert opsgenie.pages_served("/v2/schedules") == 2
    assert opsgenie.pages_served("/v2/escalations") == 2
    assert opsgenie.pages_served("/v2/integrations") == 2
    assert all(r.headers["authorization"] == f"GenieKey {KEY}" for r in opsgenie.requests)
    assert [s.external_id for s in bundle.schedules] == ["s-berlin", "s-odd", "s-backup"]
    assert [p.external_id for p in bundle.policies] == ["esc-plat", "esc-web", "esc-solo"]


def test_maps_people_contacts_rules_and_team_roles(opsgenie):
    bundle = read(opsgenie)

    ana = bundle.people[0]
    assert [(c.kind, c.address) for c in ana.contact_methods] == [
        ("email", "ana@og.example.com"),
        ("sms", "+491701234567"),
    ]
    assert {(r.contact_method, r.delay_minutes, r.urgency) for r in ana.notification_rules} == {
        ("c-a-email", 0, "high"),
        ("c-a-email", 0, "low"),
        ("c-a-sms", 5, "high"),
        ("c-a-sms", 5, "low"),
    }
    assert notes_about(bundle, "mobile contact method")
    assert notes_about(bundle, "close-alert notification rule")
    platform, web = bundle.teams
    assert [(m.person, m.role) for m in platform.members] == [
        ("u-a", "manager"),
        ("u-b", "member"),
        ("u-c", "member"),
        ("u-d", "member"),
    ]
    assert [(m.person, m.role) for m in web.members] == [("u-e", "manager"), ("u-f", "member")]
    assert notes_about(bundle, "custom team role 'observer'")


def test_maps_rotations_restrictions_and_reports_what_tocsin_cannot_carry(opsgenie):
    bundle = read(opsgenie)

    berlin, odd, backup = bundle.schedules
    days, weekend, nights = berlin.layers
    assert days.turn_length == datetime.timedelta(weeks=1)
    assert days.rotation_start == datetime.datetime(2026, 9, 7, 7, tzinfo=UTC)
    assert days.people == ("u-a", "u-b", "u-c")
    assert [(r.weekdays, r.start, r.duration_minutes) for r in days.restrictions] == [
        ((day,), datetime.time(9), 9 * 60) for day in (1, 2, 3, 4, 5)
    ]
    assert [(r.weekdays, r.duration_minutes) for r in weekend.restrictions] == [
        ((5,), 2 * 1440 + 15 * 60)
    ]
    assert nights.turn_length == datetime.timedelta(hours=12)
    assert [r.weekdays for r in nights.restrictions] == [(1,), (2,), (3,), (4,)]
    assert [(o.external_id, o.person) for o in berlin.overrides] == [("s-berlin:ovr-fay", "u-f")]
    assert berlin.teams == ("t-plat",)
    # Berlin's rotations never overlap; Odd shapes' do.
    assert not notes_about(bundle, "schedule Platform primary")

    gappy, always = odd.layers
    assert gappy.people == ("u-e",)
    assert gappy.turn_length == datetime.timedelta(days=2)
    assert [(r.weekdays, r.start, r.duration_minutes) for r in gappy.restrictions] == [
        ((1, 2, 3, 4, 5, 6, 7), datetime.time(8), 12 * 60)
    ]
    assert always.end == datetime.datetime(2027, 1, 1, tzinfo=UTC)
    for text in (
        'empty turn (participant "none")',
        "team participant Web",
        "ended rotation",
        "overlapping rotations Gappy and Always",
        "disabled schedule",
    ):
        assert notes_about(bundle, text), text
    assert backup.time_zone == "America/New_York"


def test_escalation_delays_become_waits_between_rules(opsgenie):
    bundle = read(opsgenie)

    platform, web, solo = bundle.policies
    assert [([(t.kind, t.ref) for t in r.targets], r.delay_minutes) for r in platform.rules] == [
        ([("schedule", "s-berlin")], 10),
        ([("person", "u-b"), ("team", "t-plat")], 15),
    ]
    assert platform.repeat == 2
    assert platform.teams == ("t-plat",)
    assert notes_about(bundle, "schedule recipient Platform primary with notify type next")
    assert notes_about(bundle, "first rule after 5 minutes")
    assert notes_about(bundle, "condition if-not-closed")
    assert [(t.kind, t.ref) for t in web.rules[0].targets] == [("person", "u-e")]
    assert solo.repeat == 0 and len(solo.rules) == 1


def test_api_integrations_keep_their_key_and_route_to_the_team_policy(opsgenie):
    bundle = read(opsgenie)

    api, prometheus = bundle.services
    assert (api.name, api.policy, api.teams) == ("Platform API", "esc-plat", ("t-plat",))
    assert [(i.kind, i.routing_key) for i in api.integrations] == [("events_v2", API_KEY)]
    assert [(i.kind, i.routing_key) for i in prometheus.integrations] == [
        ("alertmanager", PROM_KEY)
    ]
    assert notes_about(bundle, "integration Email")
    assert notes_about(bundle, "routing to schedule")


def test_team_scope_reads_only_that_teams_objects_and_people(opsgenie):
    bundle = read(opsgenie, team_ids=("t-web",))

    assert [t.name for t in bundle.teams] == ["Web"]
    assert [s.external_id for s in bundle.schedules] == ["s-odd", "s-backup"]
    assert [p.external_id for p in bundle.policies] == ["esc-web"]
    assert bundle.services == ()
    assert {p.external_id for p in bundle.people} == {"u-e", "u-f"}


def test_a_wrong_key_or_an_unreachable_address_is_a_source_error(opsgenie):
    with pytest.raises(SourceError, match="refused the API key"):
        source_reader("opsgenie")(token="wrong", base_url=opsgenie.url, now=NOW)
    with socket_closed() as url, pytest.raises(SourceError, match="could not be reached"):
        source_reader("opsgenie")(token=KEY, base_url=url, now=NOW)


def test_an_answer_in_another_shape_is_a_source_error_not_a_crash():
    broken = account()
    broken["contacts"]["u-a"] = [{"id": "c1", "method": "sms", "to": 491701234567}]
    broken["rules"]["u-a"][0]["steps"][1]["sendAfter"] = {"timeAmount": "soon"}
    with OpsgenieStandIn(broken) as server, pytest.raises(SourceError, match="not what its API"):
        read(server)


class socket_closed:
    """The address of a port nobody listens on."""

    def __enter__(self):
        import socket

        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        sock.close()
        return f"http://127.0.0.1:{self.port}"

    def __exit__(self, *exc):
        return False


# Through the core: plan, apply, apply again, compare with Opsgenie's on-call answer. ----


def _instants():
    """20 instants across 2026-10-10 … 2026-11-09 (Berlin leaves summer time on
    2026-10-25), half of them at the hours where an offset error would show."""
    chosen = [
        datetime.datetime(2026, 10, 20, 12, 0, tzinfo=UTC),  # the override
        datetime.datetime(2026, 10, 24, 20, 0, tzinfo=UTC),  # Saturday night, CEST
        datetime.datetime(2026, 10, 25, 1, 30, tzinfo=UTC),  # just before the change
        datetime.datetime(2026, 10, 25, 12, 0, tzinfo=UTC),  # Sunday, CET
        datetime.datetime(2026, 10, 25, 16, 30, tzinfo=UTC),  # 17:30 CET: before the 18:00 turn
        datetime.datetime(2026, 10, 26, 5, 30, tzinfo=UTC),  # Monday 06:30 CET, weekend turn
        datetime.datetime(2026, 10, 26, 7, 30, tzinfo=UTC),  # 08:30 CET: weekend still
        datetime.datetime(2026, 10, 26, 8, 30, tzinfo=UTC),  # 09:30 CET: working days
        datetime.datetime(2026, 10, 27, 17, 30, tzinfo=UTC),  # Tuesday 18:30 CET: nights
        datetime.datetime(2026, 10, 28, 5, 30, tzinfo=UTC),  # Wednesday 06:30 CET: next night turn
    ]
    rng = random.Random(20261025)
    start = datetime.datetime(2026, 10, 10, tzinfo=UTC)
    while len(chosen) < 20:
        chosen.append(start + datetime.timedelta(minutes=rng.randrange(30 * 24 * 60)))
    return chosen


def _opsgenie_on_call(server, schedule_id, at):
    response = requests.get(
        f"{server.url}/v2/schedules/{schedule_id}/on-calls",
        params={"date": at.isoformat().replace("+00:00", "Z")},
        headers={"Authorization": f"GenieKey {KEY}"},
        timeout=10,
    )
    return {p["name"] for p in response.json()["data"]["onCallParticipants"]}


@pytest.mark.django_db
def test_applied_import_is_on_call_like_opsgenie_and_a_second_run_changes_nothing(opsgenie, staff):
    already = UserFactory(username="ben", email="Ben@og.example.com")

    with time_machine.travel(NOW, tick=False):
        plan = import_plan(actor=staff, source="opsgenie", token=KEY, base_url=opsgenie.url)
        result = import_apply(plan=plan, actor=staff)

    assert result.created["schedule"] == 3
    assert result.created["policy"] == 3
    assert result.created["integration"] == 2
    assert result.matched["person"] == 1
    assert {p.action for p in plan.items if p.kind == "person" and p.external_id == "u-b"} == {
        "match"
    }
    platform = Team.objects.get(name="Platform")
    assert set(platform.members.values_list("email", flat=True)) >= {
        "ana@og.example.com",
        already.email,
    }
    integration = integration_by_routing_key(API_KEY)
    assert integration is not None and integration.team == platform
    assert integration.service.name == "Platform API"
    assert integration_by_routing_key(PROM_KEY).kind == "alertmanager"
    policy = EscalationPolicy.objects.get(name="Platform escalation")
    assert policy.repeat == 2
    assert [r.delay_minutes for r in policy.rules.all()] == [10, 15]
    assert {n.what for n in plan.unsupported} >= {"ended rotation", "disabled schedule"}

    schedule = Schedule.objects.get(
        pk=ImportedObject.objects.get(
            source="opsgenie", external_id="s-berlin", content_type__model="schedule"
        ).object_id
    )
    assert schedule.time_zone == "Europe/Berlin"
    emails = dict(get_user_model().objects.values_list("pk", "email"))
    for at in _instants():
        tocsin = schedule_oncall_user_id(schedule=schedule, at=at)
        expected = _opsgenie_on_call(opsgenie, "s-berlin", at)
        assert ({emails[tocsin].lower()} if tocsin else set()) == expected, at
    assert any(_opsgenie_on_call(opsgenie, "s-berlin", at) for at in _instants())

    counts = {
        model: model.objects.count()
        for model in (Schedule, EscalationPolicy, Integration, ImportedObject)
    }
    with time_machine.travel(NOW + datetime.timedelta(hours=1), tick=False):
        again = import_plan(actor=staff, source="opsgenie", token=KEY, base_url=opsgenie.url)
        second = import_apply(plan=again, actor=staff)

    assert second.created == {} and second.updated == {}
    assert {item.action for item in again.items} <= {"match", "skip"}
    assert {model: model.objects.count() for model in counts} == counts

    # A sender of Opsgenie's Alert API keeps its key; only the base URL changed.
    sent = Client().post(
        "/v2/alerts",
        data=json.dumps({"message": "Disk almost full", "alias": "disk-db1"}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"GenieKey {API_KEY}",
    )
    assert sent.status_code == 202, sent.content
    assert Alert.objects.filter(integration=integration).count() == 1
