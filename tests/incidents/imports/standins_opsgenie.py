"""A stand-in for Opsgenie's REST API v2 on 127.0.0.1: the documented JSON shapes, paged
two items at a time with ``paging.next`` (offset/limit), ``GenieKey`` authentication, and
``GET /v2/schedules/{id}/on-calls?date=`` answered by a tiny reference of Opsgenie's
rotation rules written here, independent of Tocsin's rotation code."""

import datetime
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

from tests.harness.receivers import HttpReceiver, Received, Reply

KEY = "og-read-key"
PAGE_SIZE = 2
_DAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]


class OpsgenieStandIn(HttpReceiver):
    """Serves ``account`` (users, contacts, notification rules and steps, teams, routing
    rules, schedules with rotations, overrides, escalations, integrations) like Opsgenie."""

    def __init__(self, account: dict) -> None:
        super().__init__()
        self.account = account

    def answer(self, request: Received) -> Reply:
        url = urlsplit(request.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        if request.headers.get("authorization") != f"GenieKey {KEY}":
            return 401, {"message": "Could not authenticate", "took": 0.0, "requestId": "r"}
        parts = url.path.strip("/").split("/")
        if parts[0] != "v2":
            return 404, {"message": "Not found"}
        return self.route(parts[1:], query)

    def route(self, parts: list[str], query: dict) -> Reply:
        a = self.account
        match parts:
            case ["users"]:
                return self.paged("users", a["users"], query)
            case ["users", user_id, "contacts"]:
                return self.ok(a["contacts"].get(user_id, []))
            case ["users", user_id, "notification-rules"]:
                return self.ok([r for r in a["rules"].get(user_id, [])])
            case ["users", user_id, "notification-rules", rule_id, "steps"]:
                rules = {r["id"]: r for r in a["rules"].get(user_id, [])}
                return self.ok(rules[rule_id]["steps"])
            case ["teams"]:
                return self.ok(
                    [{k: t[k] for k in ("id", "name", "description")} for t in a["teams"]]
                )
            case ["teams", team_id]:
                return self.ok(next(t for t in a["teams"] if t["id"] == team_id))
            case ["teams", team_id, "routing-rules"]:
                return self.ok(a["routing_rules"].get(team_id, []))
            case ["schedules"]:
                assert query.get("expand") == "rotation"
                return self.paged("schedules", a["schedules"], query)
            case ["schedules", schedule_id, "overrides"]:
                return self.ok(a["overrides"].get(schedule_id, []))
            case ["schedules", schedule_id, "on-calls"]:
                at = datetime.datetime.fromisoformat(query["date"].replace("Z", "+00:00"))
                schedule = next(s for s in a["schedules"] if s["id"] == schedule_id)
                people = on_call(schedule, a["overrides"].get(schedule_id, []), at)
                return self.ok(
                    {
                        "_parent": {"id": schedule_id, "name": schedule["name"], "enabled": True},
                        "onCallParticipants": [
                            {"id": u["id"], "name": u["username"], "type": "user"}
                            for u in a["users"]
                            if u["id"] in people
                        ],
                    }
                )
            case ["escalations"]:
                return self.paged("escalations", a["escalations"], query)
            case ["integrations"]:
                summaries = [
                    {k: i[k] for k in ("id", "name", "enabled", "type", "teamId", "version")}
                    for i in a["integrations"]
                ]
                return self.paged("integrations", summaries, query)
            case ["integrations", integration_id]:
                return self.ok(next(i for i in a["integrations"] if i["id"] == integration_id))
        return 404, {"message": "Not found"}

    def ok(self, data) -> Reply:
        return 200, {"data": data, "took": 0.01, "requestId": "req"}

    def paged(self, name: str, items: list, query: dict) -> Reply:
        offset = int(query.get("offset", 0))
        page = items[offset : offset + PAGE_SIZE]
        paging = {"first": f"{self.url}/v2/{name}?limit={PAGE_SIZE}&offset=0"}
        if offset + PAGE_SIZE < len(items):
            paging["next"] = f"{self.url}/v2/{name}?limit={PAGE_SIZE}&offset={offset + PAGE_SIZE}"
        return 200, {
            "data": page,
            "paging": paging,
            "totalCount": len(items),
            "took": 0.01,
            "requestId": "req",
        }

    def pages_served(self, path: str) -> int:
        return sum(1 for r in self.requests if urlsplit(r.path).path == path)


def on_call(schedule: dict, overrides: list, at: datetime.datetime) -> set[str]:
    """Opsgenie's answer: the override's user, else everyone on call in any rotation. A
    rotation's turns are ``length`` units of local wall-clock time from its start, in the
    schedule's zone; restrictions are local windows."""
    for override in overrides:
        start = _instant(override["startDate"])
        end = _instant(override["endDate"])
        if start <= at < end:
            return {override["user"]["id"]}
    zone = ZoneInfo(schedule["timezone"])
    local = at.astimezone(zone).replace(tzinfo=None)
    people = set()
    for rotation in schedule["rotations"]:
        start = _instant(rotation["startDate"]).astimezone(zone).replace(tzinfo=None)
        end = rotation.get("endDate")
        if local < start or (end and at >= _instant(end)):
            continue
        if not _allowed(rotation.get("timeRestriction"), local):
            continue
        unit = {"hourly": "hours", "daily": "days", "weekly": "weeks"}[rotation["type"]]
        turn = datetime.timedelta(**{unit: rotation["length"]})
        slots = rotation["participants"]
        slot = slots[((local - start) // turn) % len(slots)]
        if slot["type"] == "user":
            people.add(slot["id"])
    return people


def _allowed(restriction: dict | None, local: datetime.datetime) -> bool:
    if not restriction:
        return True
    minute_of_day = local.hour * 60 + local.minute
    if restriction["type"] == "time-of-day":
        r = restriction["restriction"]
        start, end = r["startHour"] * 60 + r["startMin"], r["endHour"] * 60 + r["endMin"]
        return start <= minute_of_day < end if start < end else not end <= minute_of_day < start
    week = 7 * 1440
    minute_of_week = local.weekday() * 1440 + minute_of_day
    for r in restriction["restrictions"]:
        start = _DAYS.index(r["startDay"]) * 1440 + r["startHour"] * 60 + r["startMin"]
        end = _DAYS.index(r["endDay"]) * 1440 + r["endHour"] * 60 + r["endMin"]
        if (minute_of_week - start) % week < ((end - start) % week or week):
            return True
    return False


def _instant(text: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
