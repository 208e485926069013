"""A stand-in for Grafana OnCall's public API on 127.0.0.1: the documented JSON shapes,
paged two results at a time (``next`` URL + ``results``), ``Authorization: <token>``, and
``GET /api/v1/schedules/{id}/final_shifts?start_date&end_date`` answered by a tiny
reference of how Grafana OnCall expands shifts, written here, independent of Tocsin's
rotation code. iCal calendars are served by a second small server."""

import datetime
import itertools
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit
from zoneinfo import ZoneInfo

from icalendar import Calendar

from tests.harness.receivers import HttpReceiver, LocalServer, Received, Reply

TOKEN = "grafana-oncall-token"
PAGE_SIZE = 2
_DAYS = {"MO": 0, "TU": 1, "WE": 2, "TH": 3, "FR": 4, "SA": 5, "SU": 6}
_UTC = datetime.UTC


class GrafanaOnCallStandIn(HttpReceiver):
    """Serves ``instance`` (users, personal_notification_rules, teams, schedules,
    on_call_shifts, escalation_chains, escalation_policies, integrations, routes)."""

    def __init__(self, instance: dict, calendars: "CalendarServer | None" = None) -> None:
        super().__init__()
        self.instance = instance
        self.calendars = calendars

    def answer(self, request: Received) -> Reply:
        if request.headers.get("authorization") != TOKEN:
            return 401, {"detail": "Invalid token."}
        url = urlsplit(request.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        parts = url.path.strip("/").split("/")
        if parts[:2] != ["api", "v1"]:
            return 404, {"detail": "Not found."}
        match parts[2:]:
            case ["schedules", schedule_id, "final_shifts"]:
                return 200, self.final_shifts(schedule_id, query)
            case ["on_call_shifts"]:
                shifts = self.instance["on_call_shifts"]
                if "schedule_id" in query:
                    shifts = [s for s in shifts if s["_schedule"] == query["schedule_id"]]
                return 200, self.page(
                    url.path,
                    [{k: v for k, v in s.items() if k != "_schedule"} for s in shifts],
                    query,
                )
            case [name] if name in self.instance:
                return 200, self.page(url.path, self.instance[name], query)
        return 404, {"detail": "Not found."}

    def page(self, path: str, items: list, query: dict) -> dict:
        number = int(query.get("page", 1))
        total_pages = max(1, -(-len(items) // PAGE_SIZE))

        def link(n):
            return f"{self.url}{path}?{urlencode({**query, 'page': n})}"

        return {
            "count": len(items),
            "next": link(number + 1) if number < total_pages else None,
            "previous": link(number - 1) if number > 1 else None,
            "results": items[(number - 1) * PAGE_SIZE : number * PAGE_SIZE],
            "current_page_number": number,
            "page_size": PAGE_SIZE,
            "total_pages": total_pages,
        }

    def pages_served(self, path: str) -> int:
        return sum(1 for r in self.requests if urlsplit(r.path).path == path)

    def final_shifts(self, schedule_id: str, query: dict) -> dict:
        start = datetime.datetime.fromisoformat(query["start_date"]).replace(tzinfo=_UTC)
        end = datetime.datetime.fromisoformat(query["end_date"]).replace(tzinfo=_UTC)
        end += datetime.timedelta(days=1)
        schedule = next(s for s in self.instance["schedules"] if s["id"] == schedule_id)
        shifts = [s for s in self.instance["on_call_shifts"] if s["_schedule"] == schedule_id]
        events = []  # (priority, order, user, start, end)
        for order, shift in enumerate(shifts):
            # Overrides win over every level.
            priority = 10**6 if shift["type"] == "override" else shift.get("level") or 0
            events += [
                (priority, order, user, s, e)
                for user, s, e in expand(shift, schedule["time_zone"], start, end)
            ]
        if self.calendars and schedule.get("ical_url_overrides"):
            path = urlsplit(schedule["ical_url_overrides"]).path
            for user, s, e in calendar_events(self.calendars.files[path]):
                events.append((10**7, 0, self._user_id(user), s, e))
        users = {u["id"]: u for u in self.instance["users"]}
        results = [
            {
                "user_pk": user,
                "user_email": users[user]["email"],
                "user_username": users[user]["username"],
                "shift_start": s.isoformat().replace("+00:00", "Z"),
                "shift_end": e.isoformat().replace("+00:00", "Z"),
            }
            for user, s, e in stack(events, start, end)
        ]
        return {"count": len(results), "next": None, "previous": None, "results": results}

    def _user_id(self, name: str) -> str:
        return next(u["id"] for u in self.instance["users"] if name in (u["username"], u["email"]))


def expand(shift: dict, schedule_zone: str, start: datetime.datetime, end: datetime.datetime):
    """Grafana OnCall's events of a rolling_users / override shift in ``[start, end)``:
    group k of the rotation has the k-th turn (``interval`` × ``frequency`` from
    ``start`` in local wall-clock time); in its turn, weekly shifts have an event on each
    ``by_day`` day of the turn's week (from ``week_start``) not before the turn's start,
    daily ones one a day, each ``duration`` long."""
    zone = ZoneInfo(shift.get("time_zone") or schedule_zone)
    first = datetime.datetime.fromisoformat(shift["start"])
    duration = datetime.timedelta(seconds=shift["duration"])

    def utc(local):
        return local.replace(tzinfo=zone, fold=0).astimezone(_UTC)

    if shift["type"] == "override":
        if utc(first) < end and utc(first + duration) > start:
            yield shift["users"][0], utc(first), utc(first + duration)
        return
    groups = shift["rolling_users"]
    index = shift.get("start_rotation_from_user_index") or 0
    groups = groups[index:] + groups[:index]
    unit = {"hourly": "hours", "daily": "days", "weekly": "weeks"}[shift["frequency"]]
    turn = datetime.timedelta(**{unit: shift.get("interval") or 1})
    local_start = start.astimezone(zone).replace(tzinfo=None)
    k = max(0, (local_start - first) // turn - 1)
    while True:
        turn_start = first + k * turn
        if utc(turn_start) >= end:
            return
        user = groups[k % len(groups)][0]
        if shift["frequency"] == "weekly" and shift.get("by_day"):
            week_start = _DAYS[shift.get("week_start") or "SU"]
            week_begin = turn_start.date() - datetime.timedelta(
                days=(turn_start.weekday() - week_start) % 7
            )
            starts = []
            for day in shift["by_day"]:
                date = week_begin + datetime.timedelta(days=(_DAYS[day] - week_start) % 7)
                event = datetime.datetime.combine(date, first.time())
                if event >= turn_start:
                    starts.append(event)
        elif shift["frequency"] == "daily":
            starts = [turn_start + datetime.timedelta(days=d) for d in range(turn.days)]
        else:
            starts = [turn_start]
        for event in sorted(starts):
            if utc(event) < end and utc(event + duration) > start:
                yield user, utc(event), utc(event + duration)
        k += 1


def stack(events, start, end):
    """Final shifts: at each moment the event with the highest (priority, -order) wins;
    touching pieces of one user are merged."""
    cuts = sorted({start, end, *(s for *_, s, _ in events), *(e for *_, e in events)})
    cuts = [c for c in cuts if start <= c <= end]
    final = []
    for a, b in itertools.pairwise(cuts):
        live = [(p, -o, u) for p, o, u, s, e in events if s <= a and e >= b]
        if not live:
            continue
        user = max(live)[2]
        if final and final[-1][0] == user and final[-1][2] == a:
            final[-1] = (user, final[-1][1], b)
        else:
            final.append((user, a, b))
    return final


def calendar_events(data: bytes):
    for event in Calendar.from_ical(data).walk("VEVENT"):
        if event.get("RRULE"):
            continue
        yield (
            str(event["SUMMARY"]),
            event.decoded("DTSTART").astimezone(_UTC),
            event.decoded("DTEND").astimezone(_UTC),
        )


class CalendarServer(LocalServer):
    """Serves ``files`` (path -> iCal bytes) and records each request's headers."""

    def __init__(self, files: dict[str, bytes]) -> None:
        self.files = files
        self.headers_seen: list[dict[str, str]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.headers_seen.append({k.lower(): v for k, v in self.headers.items()})
                body = server.files.get(self.path)
                self.send_response(200 if body is not None else 404)
                self.send_header("Content-Type", "text/calendar")
                self.send_header("Content-Length", str(len(body or b"")))
                self.end_headers()
                self.wfile.write(body or b"")

            def log_message(self, *args) -> None:
                pass

        super().__init__(ThreadingHTTPServer(("127.0.0.1", 0), Handler))

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"
