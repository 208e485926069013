"""Read a Grafana OnCall instance (public API ``/api/v1/``) into an import bundle.

Reads users and their personal notification rules, teams (members from each user's
``teams``), schedules — web/calendar ones with their on-call shifts, iCal ones from their
calendars —, escalation chains with their steps, and integrations with their routes,
sending ``Authorization: <token>``. Lists are paged (``next`` + ``results``); the next
page is asked of the configured base URL with the query of ``next``, so the token never
goes to another host. iCal calendars are fetched without the token (their address is
their secret).

Shifts are read as Grafana OnCall builds them: a ``rolling_users`` shift hands over to
the next group every ``interval`` × ``frequency`` from ``start`` (wall-clock in the
shift's zone), each turn's events lasting ``duration``; higher ``level`` wins. Shapes that
are not "one person per turn with weekly windows" (per-event rotation of daily shifts on
some weekdays, monthly shifts, groups of several people, …) are reported, not guessed.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import requests
from icalendar import Calendar

from incidents.imports.bundle import (
    TARGET_PERSON,
    TARGET_SCHEDULE,
    TARGET_TEAM,
    Bundle,
    ImportContactMethod,
    ImportIntegration,
    ImportLayer,
    ImportNotificationRule,
    ImportOverride,
    ImportPerson,
    ImportPolicy,
    ImportPolicyRule,
    ImportRestriction,
    ImportSchedule,
    ImportService,
    ImportTarget,
    ImportTeam,
    ImportTeamMember,
    Unsupported,
)
from incidents.imports.sources.errors import SourceError
from incidents.imports.sources.opsgenie import dates_overlap, weekly_windows, windows_overlap

_TIMEOUT = 30
_ICAL_DAYS = {"MO": 0, "TU": 1, "WE": 2, "TH": 3, "FR": 4, "SA": 5, "SU": 6}
_UNITS = {"hourly": "hours", "daily": "days", "weekly": "weeks"}
# Grafana OnCall repeats a chain from its "repeat escalation" step at most five times.
_GRAFANA_REPEATS = 5
_INTEGRATION_KINDS = {
    "alertmanager": "alertmanager",
    "grafana_alerting": "alertmanager",
    "grafana": "alertmanager",
    "webhook": "webhook",
    "formatted_webhook": "webhook",
}
_CONTACT_STEPS = {"notify_by_email": "email", "notify_by_slack": "slack"}


class _Client:
    def __init__(self, *, token: str, base_url: str) -> None:
        if not base_url:
            raise SourceError(
                "Grafana OnCall needs its API URL (Grafana OnCall → Settings → API URL)."
            )
        self.base_url = base_url.rstrip("/")
        self.session = requests.Session()
        self.session.headers.update({"Authorization": token, "Accept": "application/json"})

    def get(self, path: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        try:
            response = self.session.get(
                f"{self.base_url}/api/v1/{path}", params=params, timeout=_TIMEOUT
            )
        except requests.RequestException as exc:
            raise SourceError(
                f"Grafana OnCall could not be reached at {self.base_url}: {exc}"
            ) from None
        if response.status_code in (401, 403):
            raise SourceError("Grafana OnCall refused the API token.")
        if response.status_code >= 400:
            raise SourceError(
                f"Grafana OnCall answered {response.status_code} to GET /api/v1/{path}."
            )
        try:
            body = response.json()
        except ValueError:
            raise SourceError(f"Grafana OnCall's answer to /api/v1/{path} is not JSON.") from None
        if not isinstance(body, dict):
            raise SourceError(f"Grafana OnCall's answer to /api/v1/{path} is not an object.")
        return body

    def pages(self, path: str, params: dict[str, Any] | None = None) -> Iterator[dict[str, Any]]:
        query = dict(params or {})
        seen: set[str] = set()
        while True:
            body = self.get(path, query)
            results = body.get("results")
            if not isinstance(results, list):
                raise SourceError(f"Grafana OnCall's answer to /api/v1/{path} has no results.")
            yield from (item for item in results if isinstance(item, dict))
            next_url = body.get("next")
            if not next_url or not results:
                return
            next_query = urlsplit(str(next_url)).query
            if next_query in seen:
                return
            seen.add(next_query)
            query = {key: values[-1] for key, values in parse_qs(next_query).items()}

    def calendar(self, url: str) -> Calendar:
        """An iCal calendar, fetched without the API token."""
        try:
            response = requests.get(url, timeout=_TIMEOUT)
            response.raise_for_status()
            return Calendar.from_ical(response.content)
        except (requests.RequestException, ValueError) as exc:
            raise SourceError(f"The iCal calendar {url} could not be read: {exc}") from None


def bundle_read(
    *,
    token: str,
    base_url: str = "",
    team_ids: tuple[str, ...] = (),
    now: datetime.datetime,
) -> Bundle:
    """The Grafana OnCall instance behind ``token`` as a bundle (see the module docstring)."""
    reader = _Reader(_Client(token=token, base_url=base_url), team_ids=team_ids, now=now)
    try:
        return reader.read()
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        # A shape the API does not document: say so rather than fail with a server error.
        raise SourceError(
            f"Grafana OnCall's answer is not what its API documents ({type(exc).__name__}: {exc})."
        ) from None


def _zone(name: Any, fallback: str) -> tuple[str, ZoneInfo]:
    for candidate in (name, fallback, "UTC"):
        if not candidate:
            continue
        try:
            return str(candidate), ZoneInfo(str(candidate))
        except (ZoneInfoNotFoundError, ValueError):
            continue
    return "UTC", ZoneInfo("UTC")


def _local(value: Any) -> datetime.datetime | None:
    """Grafana's naive ``yyyy-MM-ddTHH:mm:ss`` (an offset, if any, is dropped)."""
    if not value:
        return None
    try:
        return datetime.datetime.fromisoformat(str(value).replace("Z", "")).replace(tzinfo=None)
    except ValueError:
        return None


def _aware(local: datetime.datetime, zone: ZoneInfo) -> datetime.datetime:
    return local.replace(tzinfo=zone, fold=0).astimezone(datetime.UTC)


class _Reader:
    def __init__(self, client: _Client, *, team_ids: tuple[str, ...], now: datetime.datetime):
        self.client = client
        self.team_ids = set(team_ids)
        self.now = now
        self.notes: list[Unsupported] = []
        self.users: dict[str, dict[str, Any]] = {}
        self.person_by_name: dict[str, str] = {}

    def note(self, source_ref: str, what: str, why: str) -> None:
        self.notes.append(Unsupported(source_ref=source_ref, what=what, why=why))

    def in_scope(self, team_id: Any) -> bool:
        return not self.team_ids or str(team_id or "") in self.team_ids

    def read(self) -> Bundle:
        people = self.read_people()
        teams = self.read_teams()
        schedules = self.read_schedules()
        policies = self.read_policies(
            {s.external_id for s in schedules}, {t.external_id for t in teams}
        )
        services = self.read_services({p.external_id for p in policies})
        if self.team_ids:
            used = {m.person for t in teams for m in t.members}
            for schedule in schedules:
                used.update(p for layer in schedule.layers for p in layer.people)
                used.update(o.person for o in schedule.overrides)
            for policy in policies:
                used.update(
                    t.ref for r in policy.rules for t in r.targets if t.kind == TARGET_PERSON
                )
            people = [p for p in people if p.external_id in used]
        return Bundle(
            source="grafana-oncall",
            read_at=self.now,
            people=tuple(people),
            teams=tuple(teams),
            schedules=tuple(schedules),
            policies=tuple(policies),
            services=tuple(services),
            unsupported=tuple(self.notes),
        )

    # People -----------------------------------------------------------------------------

    def read_people(self) -> list[ImportPerson]:
        for user in self.client.pages("users/"):
            user_id, email = str(user.get("id") or ""), str(user.get("email") or "")
            if not user_id or "@" not in email:
                self.note(f"user {user_id or user.get('username')}", "user", "It has no e-mail.")
                continue
            self.users[user_id] = user
            self.person_by_name[email.lower()] = user_id
            if user.get("username"):
                self.person_by_name[str(user["username"]).lower()] = user_id
        rules_by_user: dict[str, list[dict[str, Any]]] = {}
        for rule in self.client.pages("personal_notification_rules/"):
            rules_by_user.setdefault(str(rule.get("user_id")), []).append(rule)
        people = []
        for user_id, user in self.users.items():
            methods, rules = self.notification_rules(user, rules_by_user.get(user_id, []))
            people.append(
                ImportPerson(
                    external_id=user_id,
                    email=str(user["email"]),
                    name=str(user.get("username") or ""),
                    time_zone=str(user.get("timezone") or ""),
                    contact_methods=tuple(methods),
                    notification_rules=tuple(rules),
                )
            )
        return people

    def notification_rules(
        self, user: dict[str, Any], steps: list[dict[str, Any]]
    ) -> tuple[list[ImportContactMethod], list[ImportNotificationRule]]:
        """Grafana's steps run in ``position`` order, ``wait`` steps adding delay; the
        important ones are for high urgency, the others for low."""
        user_id, email = str(user["id"]), str(user["email"])
        slack: dict[str, Any] = next(iter(user.get("slack") or []), {}) or {}
        methods: dict[str, ImportContactMethod] = {}
        rules: list[ImportNotificationRule] = []
        for important in (True, False):
            delay = 0
            chain = sorted(
                (s for s in steps if bool(s.get("important")) == important),
                key=lambda s: s.get("position") or 0,
            )
            for step in chain:
                kind_name = str(step.get("type") or "")
                if kind_name == "wait":
                    delay += -(-int(step.get("duration") or 0) // 60)
                    continue
                kind = _CONTACT_STEPS.get(kind_name)
                address = email if kind == "email" else str(slack.get("user_id") or "")
                if kind is None or not address:
                    self.note(
                        f"user {email} notification rule {step.get('id')}",
                        f"{kind_name} step",
                        "The public API gives no phone number or app to notify for it; add "
                        "the contact method in Tocsin."
                        if kind is None
                        else "The user has no linked Slack account.",
                    )
                    continue
                method_id = f"{user_id}:{kind}"
                methods.setdefault(
                    method_id,
                    ImportContactMethod(external_id=method_id, kind=kind, address=address),
                )
                rules.append(
                    ImportNotificationRule(
                        external_id=str(step.get("id")),
                        contact_method=method_id,
                        urgency="high" if important else "low",
                        delay_minutes=delay,
                    )
                )
        return list(methods.values()), rules

    def person(self, ref: Any) -> str | None:
        text = str(ref or "")
        if text in self.users:
            return text
        return self.person_by_name.get(text.strip().lower())

    # Teams ------------------------------------------------------------------------------

    def read_teams(self) -> list[ImportTeam]:
        teams = []
        for team in self.client.pages("teams/"):
            team_id = str(team.get("id") or "")
            if not team_id or not self.in_scope(team_id):
                continue
            members = tuple(
                ImportTeamMember(person=user_id)
                for user_id, user in self.users.items()
                if team_id in (user.get("teams") or [])
            )
            teams.append(
                ImportTeam(
                    external_id=team_id, name=str(team.get("name") or team_id), members=members
                )
            )
        return teams

    # Schedules --------------------------------------------------------------------------

    def read_schedules(self) -> list[ImportSchedule]:
        schedules = []
        for schedule in self.client.pages("schedules/"):
            schedule_id = str(schedule.get("id") or "")
            if not schedule_id or not self.in_scope(schedule.get("team_id")):
                continue
            name = str(schedule.get("name") or schedule_id)
            ref = f"schedule {name}"
            zone_name, zone = _zone(schedule.get("time_zone"), "UTC")
            layers: list[ImportLayer] = []
            overrides: list[ImportOverride] = []
            if schedule.get("type") == "ical":
                overrides += self.ical_events(
                    ref, schedule_id, schedule.get("ical_url_primary"), primary=True
                )
            else:
                shifts = list(self.client.pages("on_call_shifts/", {"schedule_id": schedule_id}))
                zone_name, zone = self.shift_zone(ref, shifts, zone_name, zone)
                # Higher level wins in Grafana, later layers in Tocsin; ties keep source order.
                for shift in sorted(shifts, key=lambda s: int(s.get("level") or 0)):
                    layer, override = self.shift(ref, shift, zone)
                    if layer is not None:
                        layers.append(layer)
                    overrides += override
                self.check_ties(ref, shifts, layers)
            overrides += self.ical_events(
                ref, schedule_id, schedule.get("ical_url_overrides"), primary=False
            )
            team = str(schedule.get("team_id") or "")
            schedules.append(
                ImportSchedule(
                    external_id=schedule_id,
                    name=name,
                    time_zone=zone_name,
                    layers=tuple(layers),
                    overrides=tuple(overrides),
                    teams=(team,) if team else (),
                )
            )
        return schedules

    def shift_zone(
        self, ref: str, shifts: list[dict[str, Any]], zone_name: str, zone: ZoneInfo
    ) -> tuple[str, ZoneInfo]:
        """Shifts may name their own zone; a Tocsin schedule has one. When every rotating
        shift names the same zone, the schedule takes it."""
        rotating = [s for s in shifts if s.get("type") in ("rolling_users", "recurrent_event")]
        named = {s.get("time_zone") for s in rotating if s.get("time_zone")}
        if len(named) == 1 and all(s.get("time_zone") for s in rotating):
            return _zone(named.pop(), zone_name)
        for shift in rotating:
            if shift.get("time_zone") and shift["time_zone"] != zone_name:
                self.note(
                    f"{ref} shift {shift.get('name')}",
                    f"shift time zone {shift['time_zone']}",
                    f"A Tocsin schedule has one zone; its handoffs follow {zone_name}'s "
                    "clock across daylight-saving changes.",
                )
        return zone_name, zone

    def shift(
        self, ref: str, shift: dict[str, Any], zone: ZoneInfo
    ) -> tuple[ImportLayer | None, list[ImportOverride]]:
        name = str(shift.get("name") or shift.get("id"))
        ref = f"{ref} shift {name}"
        kind = shift.get("type")
        start = _local(shift.get("start"))
        duration = datetime.timedelta(seconds=int(shift.get("duration") or 0))
        if start is None or duration <= datetime.timedelta(0):
            self.note(ref, "shift", "Its start or duration is not readable; not imported.")
            return None, []
        if kind in ("override", "single_event"):
            users = [p for p in (self.person(u) for u in shift.get("users") or []) if p]
            shift_zone = (
                _zone(shift.get("time_zone"), str(zone))[1] if shift.get("time_zone") else zone
            )
            begin, end = _aware(start, shift_zone), _aware(start + duration, shift_zone)
            if end <= self.now or not users:
                if users:
                    return None, []
                self.note(ref, f"{kind} without users", "Nobody to put on call; not imported.")
                return None, []
            if len(users) > 1:
                self.note(
                    ref,
                    f"{kind} for {len(users)} people",
                    "A Tocsin override puts one person on call; the first one is imported.",
                )
            if kind == "single_event":
                self.note(
                    ref,
                    "single event",
                    "Imported as an override, so it wins over every layer for its time.",
                )
            return None, [
                ImportOverride(
                    external_id=str(shift.get("id")), person=users[0], start=begin, end=end
                )
            ]
        if kind == "recurrent_event":
            groups = [[u] for u in (shift.get("users") or [])][:1]
            if len(shift.get("users") or []) > 1:
                self.note(
                    ref,
                    "recurrent event for several people",
                    "Tocsin puts one person on call at a time; the first one is imported.",
                )
        elif kind == "rolling_users":
            groups = [list(g) for g in (shift.get("rolling_users") or []) if g]
        else:
            self.note(ref, f"shift type {kind!r}", "Unknown; not imported.")
            return None, []
        people = []
        for group in groups:
            if len(group) > 1:
                self.note(
                    ref,
                    f"turn for {len(group)} people",
                    "A Tocsin rotation turn belongs to one person; the first of the group is "
                    "imported.",
                )
            person = self.person(group[0])
            if person is None:
                self.note(ref, f"user {group[0]}", "Unknown user; left out of the rotation.")
            else:
                people.append(person)
        if not people:
            self.note(ref, "shift without people", "Nobody to put on call; not imported.")
            return None, []
        index = int(shift.get("start_rotation_from_user_index") or 0) % len(people)
        people = people[index:] + people[:index]
        turn_and_windows = self.turn_and_windows(ref, shift, start, duration)
        if turn_and_windows is None:
            return None, []
        turn, restrictions = turn_and_windows
        until = _local(shift.get("until"))
        rotation_start = _local(shift.get("rotation_start"))
        return (
            ImportLayer(
                external_id=str(shift.get("id")),
                rotation_start=_aware(start, zone),
                turn_length=turn,
                people=tuple(people),
                restrictions=tuple(restrictions),
                start=_aware(max(start, rotation_start or start), zone),
                end=_aware(until, zone) if until else None,
                name=name,
            ),
            [],
        )

    def turn_and_windows(
        self,
        ref: str,
        shift: dict[str, Any],
        start: datetime.datetime,
        duration: datetime.timedelta,
    ) -> tuple[datetime.timedelta, list[ImportRestriction]] | None:
        """The turn length and weekly windows of a rotating shift, or None (noted) when
        Grafana's events for it are not one person's turn with weekly windows."""
        frequency = str(shift.get("frequency") or "")
        interval = int(shift.get("interval") or 1)
        unit = _UNITS.get(frequency)
        if unit is None or shift.get("by_month") or shift.get("by_monthday"):
            self.note(
                ref,
                f"{frequency or 'non-repeating'} shift"
                + (
                    " by month or month day"
                    if shift.get("by_month") or shift.get("by_monthday")
                    else ""
                ),
                "Tocsin rotations repeat every so many hours, days or weeks; not imported.",
            )
            return None
        turn = datetime.timedelta(**{unit: interval})
        by_day = [d for d in (shift.get("by_day") or []) if d in _ICAL_DAYS]
        every_day = not by_day or len(set(by_day)) == 7
        if duration > turn:
            self.note(ref, "events longer than the turn", "They overlap; not imported.")
            return None
        if duration == turn and (every_day or by_day == [_day_code(start)]):
            return turn, []
        minutes = int(duration.total_seconds() // 60)
        if frequency == "daily" and interval == 1 and every_day:
            return turn, [
                ImportRestriction(
                    weekdays=(1, 2, 3, 4, 5, 6, 7), start=start.time(), duration_minutes=minutes
                )
            ]
        if frequency == "weekly" and interval == 1:
            days = by_day or [_day_code(start)]
            week_start = _ICAL_DAYS.get(str(shift.get("week_start") or "SU"), 6)
            offsets = []
            for day in days:
                # Grafana expands BYDAY within the week (from week_start) of each turn's
                # start; an event before the turn's start goes to the next person instead.
                offset = (_ICAL_DAYS[day] - week_start) % 7 - (start.weekday() - week_start) % 7
                offsets.append(offset)
            if all(o >= 0 and datetime.timedelta(days=o) + duration <= turn for o in offsets):
                return turn, [
                    ImportRestriction(
                        weekdays=tuple(sorted({_ICAL_DAYS[d] + 1 for d in days})),
                        start=start.time(),
                        duration_minutes=minutes,
                    )
                ]
        self.note(
            ref,
            f"{frequency} shift every {interval} with events of {duration}"
            + (f" on {', '.join(by_day)}" if by_day else ""),
            "Grafana OnCall rotates such shifts per event, which a Tocsin rotation (a turn "
            "every so often, with weekly windows) cannot follow; not imported, so nobody "
            "from it is on call in Tocsin.",
        )
        return None

    def check_ties(self, ref: str, shifts: list[dict[str, Any]], layers: list[ImportLayer]) -> None:
        level = {str(s.get("id")): int(s.get("level") or 0) for s in shifts}
        for i, first in enumerate(layers):
            for second in layers[i + 1 :]:
                if level.get(first.external_id) != level.get(second.external_id):
                    continue
                if dates_overlap(first, second) and windows_overlap(
                    weekly_windows(first), weekly_windows(second)
                ):
                    self.note(
                        ref,
                        f"shifts {first.name} and {second.name} on the same level",
                        f"Where they overlap, Tocsin puts {second.name} on call.",
                    )

    def ical_events(
        self, ref: str, schedule_id: str, url: Any, *, primary: bool
    ) -> list[ImportOverride]:
        if not url:
            return []
        calendar = self.client.calendar(str(url))
        overrides = []
        for event in calendar.walk("VEVENT"):
            summary = str(event.get("SUMMARY") or "")
            where = f"{ref} calendar event {summary!r}"
            if event.get("RRULE"):
                self.note(
                    where,
                    "recurring calendar event",
                    "Tocsin cannot read a rotation out of a calendar; build a layer for it "
                    "in Tocsin."
                    if primary
                    else "Only one-off override events are imported.",
                )
                continue
            start, end = event.decoded("DTSTART", None), event.decoded("DTEND", None)
            if not isinstance(start, datetime.datetime) or not isinstance(end, datetime.datetime):
                start, end = _whole_days(start, end)
            if start is None or end is None:
                self.note(where, "calendar event", "Its times are not readable.")
                continue
            start, end = _utc(start), _utc(end)
            if end <= self.now:
                continue
            person = self.person(summary.split("]")[-1])
            if person is None:
                self.note(where, "calendar event", "Its summary names no known user.")
                continue
            overrides.append(
                ImportOverride(
                    # A calendar's UIDs are its own; two calendars may reuse one.
                    external_id=f"{schedule_id}:{event.get('UID') or start.isoformat()}",
                    person=person,
                    start=start,
                    end=end,
                )
            )
        return overrides

    # Escalation chains ------------------------------------------------------------------

    def read_policies(self, schedule_ids: set[str], team_ids: set[str]) -> list[ImportPolicy]:
        chains = [
            c for c in self.client.pages("escalation_chains/") if self.in_scope(c.get("team_id"))
        ]
        steps: dict[str, list[dict[str, Any]]] = {}
        for step in self.client.pages("escalation_policies/"):
            steps.setdefault(str(step.get("escalation_chain_id")), []).append(step)
        return [
            self.policy(chain, steps.get(str(chain.get("id")), []), schedule_ids, team_ids)
            for chain in chains
            if chain.get("id")
        ]

    def policy(
        self,
        chain: dict[str, Any],
        steps: list[dict[str, Any]],
        schedule_ids: set[str],
        team_ids: set[str],
    ) -> ImportPolicy:
        name = str(chain.get("name") or chain["id"])
        ref = f"escalation chain {name}"
        rules: list[ImportPolicyRule] = []
        targets: list[ImportTarget] = []
        # A rule is the notify steps between two waits; the wait after them is its delay.
        wait, waited_first, repeat = 0, 0, 0

        def close() -> None:
            nonlocal targets, wait
            if targets:
                rules.append(
                    ImportPolicyRule(
                        targets=tuple(targets),
                        delay_minutes=max(wait, 1),
                        external_id=f"{chain['id']}:{len(rules)}",
                    )
                )
            targets, wait = [], 0

        for step in sorted(steps, key=lambda s: s.get("position") or 0):
            kind = step.get("type")
            where = f"{ref} step {int(step.get('position') or 0) + 1}"
            if kind == "wait":
                minutes = -(-int(step.get("duration") or 0) // 60)
                if targets:
                    wait += minutes
                else:
                    waited_first += minutes
                continue
            if kind == "repeat_escalation":
                repeat = _GRAFANA_REPEATS
                break
            new = self.step_targets(where, step, schedule_ids, team_ids)
            if new and targets and wait:
                close()
            targets += [t for t in new if t not in targets]
        close()
        if waited_first:
            self.note(
                ref,
                f"wait of {waited_first} minutes before the first notification",
                "Tocsin pages the first rule as soon as the policy starts.",
            )
        return ImportPolicy(
            external_id=str(chain["id"]),
            name=name,
            rules=tuple(rules),
            repeat=repeat,
            teams=(str(chain["team_id"]),) if chain.get("team_id") else (),
        )

    def step_targets(
        self, where: str, step: dict[str, Any], schedule_ids: set[str], team_ids: set[str]
    ) -> list[ImportTarget]:
        kind = step.get("type")
        if kind == "notify_persons":
            found = []
            for user in step.get("persons_to_notify") or []:
                person = self.person(user)
                if person is None:
                    self.note(where, f"user {user}", "Unknown user; left out.")
                else:
                    found.append(ImportTarget(kind=TARGET_PERSON, ref=person))
            return found
        if kind == "notify_on_call_from_schedule":
            schedule = str(step.get("notify_on_call_from_schedule") or "")
            if schedule in schedule_ids:
                return [ImportTarget(kind=TARGET_SCHEDULE, ref=schedule)]
            self.note(where, f"schedule {schedule}", "The schedule is not imported; left out.")
            return []
        if kind == "notify_team_members":
            team = str(step.get("team_to_notify") or "")
            if team in team_ids:
                return [ImportTarget(kind=TARGET_TEAM, ref=team)]
            self.note(where, f"team {team}", "The team is not imported; left out.")
            return []
        reasons = {
            "notify_person_next_each_time": "Tocsin has no round-robin step; page a schedule "
            "instead.",
            "notify_user_group": "Tocsin does not page Slack user groups.",
            "notify_whole_channel": "Tocsin does not page a whole Slack channel.",
            "trigger_webhook": "Tocsin policies do not call webhooks.",
            "resolve": "Tocsin policies do not resolve incidents.",
            "notify_if_time_from_to": "Tocsin policies have no time-of-day condition; the "
            "following steps always run.",
            "notify_if_num_alerts_in_window": "Tocsin policies have no alert-count condition.",
            "declare_incident": "Tocsin declares incidents from alerts already.",
        }
        self.note(
            where,
            f"{kind} step",
            reasons.get(str(kind), "Tocsin has no such step.") + " Left out.",
        )
        return []

    # Integrations -----------------------------------------------------------------------

    def read_services(self, policy_ids: set[str]) -> list[ImportService]:
        routes: dict[str, list[dict[str, Any]]] = {}
        for route in self.client.pages("routes/"):
            routes.setdefault(str(route.get("integration_id")), []).append(route)
        services = []
        for integration in self.client.pages("integrations/"):
            integration_id = str(integration.get("id") or "")
            if not integration_id or not self.in_scope(integration.get("team_id")):
                continue
            name = str(integration.get("name") or integration_id)
            ref = f"integration {name}"
            kind = _INTEGRATION_KINDS.get(str(integration.get("type") or ""))
            if kind is None:
                self.note(
                    ref,
                    f"{integration.get('type')} integration",
                    "Tocsin receives Alertmanager, Grafana Alerting, webhooks, the Events "
                    "API v2 and Opsgenie's Alert API; point this sender at one of those. "
                    "Not imported.",
                )
                continue
            link = str(integration.get("link") or "")
            token = _link_token(link)
            self.note(
                ref,
                "inbound URL",
                f"Senders post to {link or 'Grafana OnCall'}; Tocsin's URL has another shape: "
                "change the sender's URL to the one Tocsin shows for the integration"
                + (
                    f" (…/api/v1/integrations/<the same token>/{kind}/)."
                    if token
                    else "; Tocsin issues a new key."
                ),
            )
            for route in routes.get(integration_id, []):
                if not route.get("is_the_last_route"):
                    self.note(
                        f"{ref} route {route.get('routing_regex') or route.get('id')}",
                        "routing rule",
                        "Tocsin sends every alert of an integration to its service's policy; "
                        "only the default route is imported.",
                    )
            chain = str((integration.get("default_route") or {}).get("escalation_chain_id") or "")
            team = str(integration.get("team_id") or "")
            services.append(
                ImportService(
                    external_id=integration_id,
                    name=name,
                    policy=chain if chain in policy_ids else "",
                    integrations=(
                        ImportIntegration(
                            external_id=integration_id, name=name, kind=kind, routing_key=token
                        ),
                    ),
                    teams=(team,) if team else (),
                )
            )
        return services


def _link_token(link: str) -> str:
    """The secret last segment of an inbound URL (``…/integrations/v1/<type>/<token>/``),
    kept as the Tocsin routing key so the sender's new URL carries the same secret."""
    parts = [part for part in urlsplit(link).path.split("/") if part]
    if len(parts) >= 4 and parts[-4:-2] == ["integrations", "v1"]:
        return parts[-1]
    return ""


def _day_code(moment: datetime.datetime) -> str:
    return next(code for code, index in _ICAL_DAYS.items() if index == moment.weekday())


def _utc(moment: datetime.datetime) -> datetime.datetime:
    if moment.tzinfo is None:
        return moment.replace(tzinfo=datetime.UTC)
    return moment.astimezone(datetime.UTC)


def _whole_days(start: Any, end: Any) -> tuple[datetime.datetime | None, datetime.datetime | None]:
    """All-day events (``DATE`` values) cover whole UTC days."""
    if isinstance(start, datetime.date) and not isinstance(start, datetime.datetime):
        begin = datetime.datetime.combine(start, datetime.time(), tzinfo=datetime.UTC)
        if isinstance(end, datetime.date) and not isinstance(end, datetime.datetime):
            return begin, datetime.datetime.combine(end, datetime.time(), tzinfo=datetime.UTC)
        return begin, begin + datetime.timedelta(days=1)
    return None, None
