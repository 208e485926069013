"""A stand-in for PagerDuty's REST API v2 on 127.0.0.1: the documented JSON shapes, classic
pagination (offset, limit, more, with a page size capped at ``PAGE_SIZE`` so that every
list takes several pages), the token check, and ``GET /oncalls`` answered from a small
reference of its own (``reference_oncall``) that knows nothing of Tocsin's rotation code.

The account: team Payments (alice manager, bob, carol, dave, erin responders, frank
observer), schedule Primary in America/New_York with two layers (weekly days, daily
nights restricted to 18:00–09:00) and an override, a schedule Odd outside any team with
a 90-minute turn, a policy, and the service Checkout API with an Events API v2
integration and an email one.
"""

import copy
import datetime
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

from tests.harness.receivers import LocalServer

TOKEN = "pd-test-token"
PAGE_SIZE = 2
NEW_YORK = ZoneInfo("America/New_York")
ROUTING_KEY = "a1b2c3d4e5f60718293a4b5c6d7e8f90"


def _user(uid, name, email, zone="America/New_York", methods=(), rules=()):
    return {
        "id": uid,
        "type": "user",
        "name": name,
        "email": email,
        "time_zone": zone,
        "role": "user",
        "contact_methods": list(methods),
        "notification_rules": list(rules),
    }


def account() -> dict:
    """The stand-in's whole account, as PagerDuty's API returns its objects."""
    team_ref = {"id": "PTEAM01", "type": "team_reference", "summary": "Payments"}
    users = [
        _user(
            "PALICE1",
            "Alice Adams",
            "alice@example.com",
            methods=[
                {
                    "id": "PCMAE1",
                    "type": "email_contact_method",
                    "address": "alice@example.com",
                    "label": "Work",
                },
                {
                    "id": "PCMAP1",
                    "type": "phone_contact_method",
                    "country_code": 1,
                    "address": "4155550100",
                    "label": "Mobile",
                },
                {
                    "id": "PCMAPU",
                    "type": "push_notification_contact_method",
                    "address": "iPhone",
                    "label": "iPhone",
                },
            ],
            rules=[
                {
                    "id": "PNRA1",
                    "type": "assignment_notification_rule",
                    "start_delay_in_minutes": 0,
                    "urgency": "high",
                    "contact_method": {"id": "PCMAE1", "type": "email_contact_method_reference"},
                },
                {
                    "id": "PNRA2",
                    "type": "assignment_notification_rule",
                    "start_delay_in_minutes": 5,
                    "urgency": "high",
                    "contact_method": {"id": "PCMAP1", "type": "phone_contact_method_reference"},
                },
                {
                    "id": "PNRA3",
                    "type": "assignment_notification_rule",
                    "start_delay_in_minutes": 0,
                    "urgency": "low",
                    "contact_method": {
                        "id": "PCMAPU",
                        "type": "push_notification_contact_method_reference",
                    },
                },
            ],
        ),
        _user("PBOB001", "Bob Brown", "bob@example.com"),
        _user("PCAROL1", "Carol Clark", "carol@example.com", zone="Europe/Berlin"),
        _user("PDAVE01", "Dave Dunn", "dave@example.com"),
        _user("PERIN01", "Erin Evans", "Erin@Example.com"),
        _user("PFRANK1", "Frank Ford", "frank@example.com"),
        _user("PGRACE1", "Grace Green", "grace@example.com"),
    ]
    members = [
        {"user": {"id": "PALICE1", "type": "user_reference"}, "role": "manager"},
        {"user": {"id": "PBOB001", "type": "user_reference"}, "role": "responder"},
        {"user": {"id": "PCAROL1", "type": "user_reference"}, "role": "responder"},
        {"user": {"id": "PDAVE01", "type": "user_reference"}, "role": "responder"},
        {"user": {"id": "PERIN01", "type": "user_reference"}, "role": "responder"},
        {"user": {"id": "PFRANK1", "type": "user_reference"}, "role": "observer"},
    ]

    def layer_users(*ids):
        return [{"user": {"id": uid, "type": "user_reference"}} for uid in ids]

    primary = {
        "id": "PSCHED1",
        "type": "schedule",
        "name": "Primary",
        "description": "Payments primary on-call",
        "time_zone": "America/New_York",
        "teams": [team_ref],
        # Highest precedence first, as PagerDuty lists them.
        "schedule_layers": [
            {
                "id": "PLAYER2",
                "name": "Nights",
                "start": "2026-10-01T18:00:00-04:00",
                "end": None,
                "rotation_virtual_start": "2026-10-01T18:00:00-04:00",
                "rotation_turn_length_seconds": 86400,
                "users": layer_users("PDAVE01", "PERIN01"),
                "restrictions": [
                    {
                        "type": "daily_restriction",
                        "start_time_of_day": "18:00:00",
                        "duration_seconds": 15 * 3600,
                    }
                ],
            },
            {
                "id": "PLAYER1",
                "name": "Days",
                "start": "2026-10-05T09:00:00-04:00",
                "end": None,
                "rotation_virtual_start": "2026-10-05T09:00:00-04:00",
                "rotation_turn_length_seconds": 604800,
                "users": layer_users("PALICE1", "PBOB001", "PCAROL1"),
                "restrictions": [],
            },
        ],
    }
    odd = {
        "id": "PSCHED2",
        "type": "schedule",
        "name": "Odd",
        "description": "",
        "time_zone": "UTC",
        "teams": [],
        "schedule_layers": [
            {
                "id": "PLAYERX",
                "name": "Ninety minutes",
                "start": "2026-10-01T00:00:00Z",
                "end": None,
                "rotation_virtual_start": "2026-10-01T00:00:00Z",
                "rotation_turn_length_seconds": 5400,
                "users": layer_users("PGRACE1"),
                "restrictions": [],
            }
        ],
    }
    overrides = {
        "PSCHED1": [
            {
                "id": "POVER01",
                "start": "2026-10-20T12:00:00-04:00",
                "end": "2026-10-21T12:00:00-04:00",
                "user": {"id": "PFRANK1", "type": "user_reference"},
            },
            {
                "id": "POVERPAST",
                "start": "2026-10-01T12:00:00-04:00",
                "end": "2026-10-02T12:00:00-04:00",
                "user": {"id": "PBOB001", "type": "user_reference"},
            },
        ],
        "PSCHED2": [],
    }
    policy = {
        "id": "PPOLICY",
        "type": "escalation_policy",
        "name": "Payments escalation",
        "description": "",
        "num_loops": 2,
        "on_call_handoff_notifications": "if_has_services",
        "teams": [team_ref],
        "escalation_rules": [
            {
                "id": "PRULE1",
                "escalation_delay_in_minutes": 30,
                "targets": [{"id": "PSCHED1", "type": "schedule_reference"}],
            },
            {
                "id": "PRULE2",
                "escalation_delay_in_minutes": 15,
                "escalation_rule_assignment_strategy": {"type": "round_robin"},
                "targets": [
                    {"id": "PALICE1", "type": "user_reference"},
                    {"id": "PBOB001", "type": "user_reference"},
                ],
            },
        ],
    }
    service = {
        "id": "PSERV01",
        "type": "service",
        "name": "Checkout API",
        "description": "Takes the money",
        "escalation_policy": {"id": "PPOLICY", "type": "escalation_policy_reference"},
        "teams": [team_ref],
        "incident_urgency_rule": {"type": "constant", "urgency": "high"},
        "integrations": [
            {
                "id": "PINTEV2",
                "type": "events_api_v2_inbound_integration",
                "name": "Prometheus",
                "integration_key": ROUTING_KEY,
            },
            {
                "id": "PINTMAIL",
                "type": "generic_email_inbound_integration",
                "name": "Email",
                "integration_email": "checkout@example.pagerduty.com",
            },
        ],
    }
    return {
        "users": users,
        "teams": [{"id": "PTEAM01", "type": "team", "name": "Payments", "description": ""}],
        "members": {"PTEAM01": members},
        "schedules": [primary, odd],
        "overrides": overrides,
        "escalation_policies": [policy],
        "services": [service],
    }


# --- the reference: who PagerDuty says is on call ------------------------------------------

LAYER1_USERS = ("PALICE1", "PBOB001", "PCAROL1")
LAYER2_USERS = ("PDAVE01", "PERIN01")


def reference_oncall(at: datetime.datetime) -> str | None:
    """Who is on call on Primary at ``at``, worked out the way a person reads the
    schedule in New York wall-clock time: the override first; at night (18:00–09:00) the
    nights rotation, one person per night counted from 1 October; in the day the weekly
    rotation, one person per week counted from Monday 5 October 09:00."""
    if (
        datetime.datetime(2026, 10, 20, 16, tzinfo=datetime.UTC)
        <= at
        < datetime.datetime(2026, 10, 21, 16, tzinfo=datetime.UTC)
    ):
        return "PFRANK1"
    local = at.astimezone(NEW_YORK)
    clock = local.time()
    if clock >= datetime.time(18) or clock < datetime.time(9):
        night = local.date() if clock >= datetime.time(18) else local.date() - datetime.timedelta(1)
        nights = (night - datetime.date(2026, 10, 1)).days
        return LAYER2_USERS[nights % 2] if nights >= 0 else None
    monday = local.date() - datetime.timedelta(days=local.date().weekday())
    weeks = (monday - datetime.date(2026, 10, 5)).days // 7
    return LAYER1_USERS[weeks % 3] if weeks >= 0 else None


class PagerDutyStandIn(LocalServer):
    """Serves ``data`` (``account()`` unless given) like PagerDuty; ``requests`` records
    ``(path, query)`` of each request."""

    def __init__(self, data: dict | None = None) -> None:
        self.data = data if data is not None else account()
        self.requests: list[tuple[str, dict]] = []
        self.wrong: dict[datetime.datetime, str] = {}
        self._lock = threading.Lock()
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                query = parse_qs(parts.query)
                with standin._lock:
                    standin.requests.append((parts.path, query))
                if self.headers.get("Authorization") != f"Token token={TOKEN}":
                    self._send(401, {"error": {"message": "Unauthorized", "code": 2006}})
                    return
                status, body = standin.answer(parts.path, query)
                self._send(status, body)

            def _send(self, status: int, body: dict) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args) -> None:
                pass

        super().__init__(ThreadingHTTPServer(("127.0.0.1", 0), Handler))

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def paths(self, path: str) -> list[dict]:
        return [query for p, query in self.requests if p == path]

    def answer(self, path: str, query: dict) -> tuple[int, dict]:
        data = self.data
        nodes = path.strip("/").split("/")
        teams = query.get("team_ids[]", [])
        if path == "/users":
            users = data["users"]
            if teams:
                members = {m["user"]["id"] for team in teams for m in data["members"].get(team, [])}
                users = [u for u in users if u["id"] in members]
            return 200, self.page("users", users, query)
        if len(nodes) == 2 and nodes[0] == "users":
            for user in data["users"]:
                if user["id"] == nodes[1]:
                    return 200, {"user": copy.deepcopy(user)}
            return 404, {"error": {"message": "Not Found", "code": 2100}}
        if path == "/teams":
            return 200, self.page("teams", data["teams"], query)
        if len(nodes) == 3 and nodes[0] == "teams" and nodes[2] == "members":
            return 200, self.page("members", data["members"].get(nodes[1], []), query)
        if path == "/schedules":
            summaries = [
                {k: v for k, v in s.items() if k != "schedule_layers"}
                for s in data["schedules"]
                if not teams or {t["id"] for t in s["teams"]} & set(teams)
            ]
            return 200, self.page("schedules", summaries, query)
        if len(nodes) == 2 and nodes[0] == "schedules":
            for schedule in data["schedules"]:
                if schedule["id"] == nodes[1]:
                    body = copy.deepcopy(schedule)
                    if "since" in query and schedule["id"] == "PSCHED1":
                        body["final_schedule"] = {
                            "name": "Final Schedule",
                            "rendered_schedule_entries": self.rendered(
                                _parse(query["since"][0]), _parse(query["until"][0])
                            ),
                        }
                    return 200, {"schedule": body}
            return 404, {"error": {"message": "Not Found", "code": 2100}}
        if len(nodes) == 3 and nodes[0] == "schedules" and nodes[2] == "overrides":
            since = _parse(query["since"][0])
            until = _parse(query["until"][0])
            found = [
                o
                for o in data["overrides"].get(nodes[1], [])
                if _parse(o["end"]) > since and _parse(o["start"]) < until
            ]
            return 200, self.page("overrides", found, query)
        if path == "/escalation_policies":
            return 200, self.page("escalation_policies", data["escalation_policies"], query)
        if path == "/services":
            return 200, self.page("services", data["services"], query)
        if path == "/oncalls":
            since = _parse(query["since"][0])
            oncalls = []
            if "PSCHED1" in query.get("schedule_ids[]", []):
                user = reference_oncall(since)
                if user is not None:
                    oncalls.append(
                        {
                            "escalation_level": 1,
                            "user": {"id": user, "type": "user_reference"},
                            "schedule": {"id": "PSCHED1", "type": "schedule_reference"},
                            "start": query["since"][0],
                            "end": query["until"][0],
                        }
                    )
            return 200, self.page("oncalls", oncalls, query)
        return 404, {"error": {"message": "Not Found", "code": 2100}}

    def rendered(self, since: datetime.datetime, until: datetime.datetime) -> list[dict]:
        """The final schedule's entries from ``reference_oncall``, stepping an hour at a
        time (every handoff of the account falls on a whole hour); ``wrong`` people, when
        set, replace who the reference says (to play a source that disagrees)."""
        entries: list[dict] = []
        at, previous = since, None
        while at < until:
            user = self.wrong.get(at, reference_oncall(at))
            step = min(
                until,
                at.replace(minute=0, second=0, microsecond=0) + datetime.timedelta(hours=1),
            )
            if user is not None and user == previous:
                entries[-1]["end"] = step.isoformat()
            elif user is not None:
                entries.append(
                    {
                        "start": at.isoformat(),
                        "end": step.isoformat(),
                        "user": {"id": user, "type": "user_reference"},
                    }
                )
            at, previous = step, user
        return entries

    @staticmethod
    def page(name: str, rows: list, query: dict) -> dict:
        offset = int(query.get("offset", ["0"])[0])
        limit = min(int(query.get("limit", ["25"])[0]), PAGE_SIZE)
        chunk = rows[offset : offset + limit]
        return {
            name: copy.deepcopy(chunk),
            "offset": offset,
            "limit": limit,
            "more": offset + limit < len(rows),
            "total": None,
        }


def _parse(text: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
