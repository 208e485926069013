"""What an import would do: a bundle compared with the rows already in Tocsin.

Pure: no database, no network. ``incidents.imports.services`` loads the rows into a
:class:`Current` and calls :func:`plan_make`; the plan it returns is plain data (it goes
to JSON for ``--json``, into the session for the staff page, and back), and applying it
reads nothing from the bundle.

Each :class:`PlanItem` says what happens to one source record and why:

* ``create``: nothing in Tocsin is this record yet; it is made.
* ``match``: it already is in Tocsin (imported before, or an account with the same email,
  a team with the same name …); it is used as it is and not changed.
* ``update``: imported before, and the source has changed since (schedules and
  escalation policies); the Tocsin row is rewritten to the source's shape.
* ``skip``: it is not imported; ``reason`` says why.

Items refer to each other by ``ref`` (``"<kind>:<external_id>"``); apply maps each ref to
the row it created or matched, in the order of ``KIND_ORDER``.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import re
from dataclasses import asdict, dataclass, field
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from incidents.imports.bundle import (
    CONTACT_KINDS,
    TARGET_PERSON,
    TARGET_SCHEDULE,
    TARGET_TEAM,
    Bundle,
    ImportIntegration,
    ImportLayer,
    ImportPerson,
    ImportPolicy,
    ImportRestriction,
    ImportSchedule,
    ImportService,
    ImportShift,
    Unsupported,
)
from oncall.schedules import rotation

CREATE, MATCH, UPDATE, SKIP = "create", "match", "update", "skip"
ACTIONS = (CREATE, MATCH, UPDATE, SKIP)

PERSON, TEAM, MEMBERSHIP, SCHEDULE, OVERRIDE, POLICY, SERVICE, INTEGRATION = (
    "person",
    "team",
    "membership",
    "schedule",
    "override",
    "policy",
    "service",
    "integration",
)
KIND_ORDER = (PERSON, TEAM, MEMBERSHIP, SCHEDULE, OVERRIDE, POLICY, SERVICE, INTEGRATION)
KIND_LABELS = {
    PERSON: "People",
    TEAM: "Teams",
    MEMBERSHIP: "Team memberships",
    SCHEDULE: "Schedules",
    OVERRIDE: "Overrides",
    POLICY: "Escalation policies",
    SERVICE: "Services",
    INTEGRATION: "Integrations",
}

DAY = datetime.timedelta(days=1)
WEEK = datetime.timedelta(days=7)
HOUR = datetime.timedelta(hours=1)
MAX_REPEAT = 9
MAX_ROUTING_KEY = 200
MAX_SHIFT_HOURS = 24 * 366
_ROUTING_KEY_CHARS = re.compile(r"^[A-Za-z0-9_.~-]+$")
_KEY_VALID = re.compile(r"^[A-Z][A-Z0-9]{1,9}$")


@dataclass
class Current:
    """The rows of Tocsin an import is compared with, loaded once by the services.

    Keys are lower-cased where Tocsin compares case-insensitively. ``imported`` maps
    ``(kind, external_id)`` of this source to ``(row id, fingerprint)`` for rows that
    still exist."""

    users_by_email: dict[str, int] = field(default_factory=dict)
    inactive_emails: set[str] = field(default_factory=set)
    usernames: set[str] = field(default_factory=set)
    teams_by_name: dict[str, int] = field(default_factory=dict)
    team_slugs: set[str] = field(default_factory=set)
    team_keys: set[str] = field(default_factory=set)
    memberships: set[tuple[int, int]] = field(default_factory=set)
    schedules: dict[tuple[int, str], int] = field(default_factory=dict)
    policies: dict[tuple[int, str], int] = field(default_factory=dict)
    services: dict[tuple[int, str], int] = field(default_factory=dict)
    integration_names: dict[tuple[int, str], int] = field(default_factory=dict)
    routing_key_hashes: dict[str, int] = field(default_factory=dict)
    imported: dict[tuple[str, str], tuple[int, str]] = field(default_factory=dict)


@dataclass
class PlanItem:
    kind: str
    external_id: str
    name: str
    action: str
    reason: str
    target_id: int | None = None
    spec: dict[str, Any] = field(default_factory=dict)
    fingerprint: str = ""

    @property
    def ref(self) -> str:
        return f"{self.kind}:{self.external_id}"


@dataclass
class Plan:
    source: str
    read_at: str
    items: list[PlanItem] = field(default_factory=list)
    unsupported: list[Unsupported] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "read_at": self.read_at,
            "items": [asdict(item) for item in self.items],
            "unsupported": [asdict(note) for note in self.unsupported],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Plan:
        return cls(
            source=data["source"],
            read_at=data["read_at"],
            items=[PlanItem(**item) for item in data["items"]],
            unsupported=[Unsupported(**note) for note in data["unsupported"]],
        )

    @property
    def digest(self) -> str:
        """Identifies the plan's content (not when it was read): two plans with the same
        digest do the same thing."""
        content = {k: v for k, v in self.to_json().items() if k != "read_at"}
        return _digest(content)

    def counts(self) -> dict[str, dict[str, int]]:
        """``{kind: {action: count}}`` for every kind and action (zeros included)."""
        table = {kind: dict.fromkeys(ACTIONS, 0) for kind in KIND_ORDER}
        for item in self.items:
            table[item.kind][item.action] += 1
        return table

    def by_kind(self) -> list[tuple[str, str, list[PlanItem]]]:
        return [
            (kind, KIND_LABELS[kind], [i for i in self.items if i.kind == kind])
            for kind in KIND_ORDER
        ]

    @property
    def changes(self) -> int:
        return sum(1 for item in self.items if item.action in (CREATE, UPDATE))


def _digest(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()


def _routing_key_hash(routing_key: str) -> str:
    # The same digest incidents.alerts.models.routing_key_hash stores (kept pure here).
    return hashlib.sha256(routing_key.encode()).hexdigest()


def routing_key_problem(routing_key: str) -> str:
    """Why Tocsin cannot take ``routing_key`` as an integration key, or ""."""
    if not routing_key:
        return "the source has no key for it"
    if len(routing_key) > MAX_ROUTING_KEY:
        return f"the key is longer than {MAX_ROUTING_KEY} characters"
    if not _ROUTING_KEY_CHARS.fullmatch(routing_key):
        # Alertmanager and webhook keys travel in the URL path; Events API keys in JSON,
        # but one rule for every kind keeps a key movable between them.
        return "the key has characters other than letters, digits and - _ . ~"
    return ""


class _Planner:
    def __init__(self, bundle: Bundle, current: Current, now: datetime.datetime, label: str):
        self.bundle = bundle
        self.current = current
        self.now = now
        self.label = label
        self.items: list[PlanItem] = []
        self.notes: list[Unsupported] = list(bundle.unsupported)
        # ref -> team ref it belongs to (schedules, policies), for same-team checks.
        self.team_of: dict[str, str] = {}
        self.usable: set[str] = set()  # refs of items that end up created or matched
        self.team_ids: dict[str, int | None] = {}  # team ref -> existing id (None: new)
        self.person_ids: dict[str, int | None] = {}
        self.members_planned: set[tuple[str, str]] = set()
        self.taken_usernames = set(current.usernames)
        self.taken_slugs = set(current.team_slugs)
        self.taken_keys = set(current.team_keys)
        self.people = {p.external_id: p for p in bundle.people}
        # (kind, team ref, name key) planned for creation: two source objects with one
        # name in one team cannot both become rows.
        self.planned_names: set[tuple[str, str, str]] = set()

    # --- helpers ---------------------------------------------------------------------

    def note(self, source_ref: str, what: str, why: str) -> None:
        self.notes.append(Unsupported(source_ref=source_ref, what=what, why=why))

    def add(self, item: PlanItem) -> PlanItem:
        self.items.append(item)
        if item.action != SKIP:
            self.usable.add(item.ref)
        return item

    def imported(self, kind: str, external_id: str) -> tuple[int, str] | None:
        return self.current.imported.get((kind, external_id))

    # --- people ----------------------------------------------------------------------

    def person(self, person: ImportPerson) -> None:
        email = person.email.strip().lower()
        name = person.name or email
        done = self.imported(PERSON, person.external_id)
        if done is not None:
            self.person_ids[f"{PERSON}:{person.external_id}"] = done[0]
            self.add(PlanItem(PERSON, person.external_id, name, MATCH, "Imported before.", done[0]))
            return
        if not email or "@" not in email:
            self.add(PlanItem(PERSON, person.external_id, name, SKIP, "No email address."))
            return
        if email in self.current.inactive_emails:
            self.add(
                PlanItem(
                    PERSON,
                    person.external_id,
                    name,
                    SKIP,
                    f"The account with {email} is deactivated; reactivate it and import again "
                    "to put the person on call.",
                )
            )
            return
        existing = self.current.users_by_email.get(email)
        if existing is not None:
            self.person_ids[f"{PERSON}:{person.external_id}"] = existing
            self.add(
                PlanItem(
                    PERSON,
                    person.external_id,
                    name,
                    MATCH,
                    f"An account with {email} exists; its own contact methods and "
                    "notification rules are kept.",
                    existing,
                )
            )
            return
        self.person_ids[f"{PERSON}:{person.external_id}"] = None
        spec: dict[str, Any] = {
            "email": email,
            "username": self._username(email),
            "first_name": "",
            "last_name": "",
            "time_zone": "",
            "contact_methods": [],
            "notification_rules": [],
        }
        first, _, last = name.partition(" ") if person.name else ("", "", "")
        spec["first_name"], spec["last_name"] = first[:150], last[:150]
        if person.time_zone:
            if _zone(person.time_zone) is None:
                self.note(
                    f"user {person.external_id}",
                    "time zone",
                    f"{person.time_zone!r} is not an IANA zone Tocsin knows; the person "
                    "starts in UTC.",
                )
            else:
                spec["time_zone"] = person.time_zone
        methods: dict[str, dict[str, Any]] = {}
        for method in person.contact_methods:
            if method.kind not in CONTACT_KINDS:
                self.note(
                    f"user {person.external_id} contact method {method.external_id}",
                    f"contact method of kind {method.kind!r}",
                    "Tocsin cannot page it; not imported.",
                )
                continue
            methods[method.external_id] = {
                "external_id": method.external_id,
                "kind": method.kind,
                "address": method.address,
                "label": method.label[:100],
            }
        spec["contact_methods"] = list(methods.values())
        seen: set[tuple[str, str, int]] = set()
        for rule in person.notification_rules:
            where = f"user {person.external_id} notification rule {rule.external_id}"
            if rule.contact_method not in methods:
                self.note(
                    where,
                    "notification rule",
                    "Its contact method is not imported (see above); the rule is not either.",
                )
                continue
            delay = rule.delay_minutes
            if not 0 <= delay <= 1440:
                self.note(where, "delay over a day", "Tocsin waits at most 1440 minutes.")
                delay = min(max(delay, 0), 1440)
            key = (rule.urgency, rule.contact_method, delay)
            if key in seen:
                continue
            seen.add(key)
            spec["notification_rules"].append(
                {"contact_method": rule.contact_method, "urgency": rule.urgency, "delay": delay}
            )
        self.add(
            PlanItem(
                PERSON,
                person.external_id,
                name,
                CREATE,
                f"No account with {email}: a new one, without a password.",
                spec=spec,
            )
        )

    def _username(self, email: str) -> str:
        base = re.sub(r"[^\w.@+-]", "", email.split("@")[0])[:140] or "user"
        candidate, number = base, 1
        while candidate.lower() in self.taken_usernames:
            number += 1
            candidate = f"{base}{number}"
        self.taken_usernames.add(candidate.lower())
        return candidate

    # --- teams -----------------------------------------------------------------------

    def team(self, external_id: str, name: str, description: str, reason_new: str) -> None:
        ref = f"{TEAM}:{external_id}"
        done = self.imported(TEAM, external_id)
        if done is not None:
            self.team_ids[ref] = done[0]
            self.add(PlanItem(TEAM, external_id, name, MATCH, "Imported before.", done[0]))
            return
        existing = self.current.teams_by_name.get(name.strip().lower())
        if existing is not None:
            self.team_ids[ref] = existing
            self.add(
                PlanItem(TEAM, external_id, name, MATCH, "A team with this name exists.", existing)
            )
            return
        self.team_ids[ref] = None
        slug = _unique(_slugify(name) or "team", self.taken_slugs, separator="-")
        key = self._team_key(name)
        self.add(
            PlanItem(
                TEAM,
                external_id,
                name,
                CREATE,
                reason_new,
                spec={
                    "name": name.strip()[:100],
                    "slug": slug,
                    "key": key,
                    "description": description,
                },
            )
        )

    def _team_key(self, name: str) -> str:
        letters = "".join(ch for ch in name.upper() if ch.isascii() and ch.isalnum())
        letters = letters.lstrip("0123456789") or "TM"
        base = letters[:4].ljust(2, "X")
        candidate, number = base, 1
        while candidate in self.taken_keys or not _KEY_VALID.fullmatch(candidate):
            number += 1
            candidate = f"{base[:8]}{number}"
        self.taken_keys.add(candidate)
        return candidate

    def membership(self, team_ref: str, person_ref: str, role: str, why: str) -> None:
        if person_ref not in self.usable or team_ref not in self.usable:
            return
        pair = (team_ref, person_ref)
        if pair in self.members_planned:
            return
        self.members_planned.add(pair)
        person_name = self._name_of(person_ref)
        team_name = self._name_of(team_ref)
        external_id = f"{team_ref.split(':', 1)[1]}/{person_ref.split(':', 1)[1]}"
        team_id, person_id = self.team_ids.get(team_ref), self.person_ids.get(person_ref)
        label = f"{person_name} in {team_name}"
        if (
            team_id is not None
            and person_id is not None
            and (team_id, person_id) in (self.current.memberships)
        ):
            self.add(PlanItem(MEMBERSHIP, external_id, label, MATCH, "Already a member."))
            return
        self.add(
            PlanItem(
                MEMBERSHIP,
                external_id,
                label,
                CREATE,
                why,
                spec={"team": team_ref, "person": person_ref, "role": role},
            )
        )

    def _name_of(self, ref: str) -> str:
        for item in self.items:
            if item.ref == ref:
                return item.name
        return ref

    def team_for(self, teams: tuple[str, ...], source_ref: str) -> str:
        """The team ref a schedule/policy/service goes into: its first imported team,
        else the fallback team."""
        for team in teams:
            if f"{TEAM}:{team}" in self.usable:
                if len(teams) > 1:
                    self.note(
                        source_ref,
                        "more than one team",
                        f"Tocsin keeps it in one team; it goes into {self._name_of(f'team:{team}')}.",
                    )
                return f"{TEAM}:{team}"
        return self.fallback_team()

    def fallback_team(self) -> str:
        ref = f"{TEAM}:{FALLBACK_TEAM_ID}"
        if ref not in self.usable:
            self.team(
                FALLBACK_TEAM_ID,
                f"{self.label} import",
                f"What the {self.label} import found outside any team.",
                "Holds what the source keeps outside any team.",
            )
        return ref

    # --- schedules -------------------------------------------------------------------

    def schedule(self, schedule: ImportSchedule) -> None:
        where = f"schedule {schedule.external_id}"
        ref = f"{SCHEDULE}:{schedule.external_id}"
        zone = _zone(schedule.time_zone)
        if zone is None:
            self.add(
                PlanItem(
                    SCHEDULE,
                    schedule.external_id,
                    schedule.name,
                    SKIP,
                    f"Unknown time zone {schedule.time_zone!r}.",
                )
            )
            return
        team_ref = self.team_for(schedule.teams, where)
        self.team_of[ref] = team_ref
        layers = []
        for number, layer in enumerate(schedule.layers, start=1):
            spec = self.layer(layer, zone, f"{where} layer {number} ({layer.external_id})")
            if spec is not None:
                layers.append(spec)
        for layer_spec in layers:
            for person_ref in layer_spec["users"]:
                self.membership(
                    team_ref, person_ref, "member", f"On a layer of schedule {schedule.name}."
                )
        spec = {
            "team": team_ref,
            "name": schedule.name.strip()[:100],
            "time_zone": schedule.time_zone,
            "description": schedule.description,
            "layers": layers,
        }
        fingerprint = _digest(spec)
        check = self.oncall_check(schedule, layers)
        self._keyed(
            SCHEDULE,
            schedule.external_id,
            schedule.name,
            spec,
            fingerprint,
            self.current.schedules,
            team_ref,
            schedule.name.strip().lower(),
            "schedule",
        )
        if check:
            self.items[-1].reason += f" {check}"

    def _keyed(
        self,
        kind: str,
        external_id: str,
        name: str,
        spec: dict[str, Any],
        fingerprint: str,
        existing_by_team: dict[tuple[int, str], int],
        team_ref: str,
        key: str,
        what: str,
        updatable: bool = True,
    ) -> None:
        done = self.imported(kind, external_id)
        if done is not None:
            # "" : matched by name, not written by an import, so never rewritten.
            if done[1] in (fingerprint, "") or not updatable:
                self.add(
                    PlanItem(
                        kind,
                        external_id,
                        name,
                        MATCH,
                        "Imported before; unchanged.",
                        done[0],
                        spec,
                        fingerprint,
                    )
                )
            else:
                self.add(
                    PlanItem(
                        kind,
                        external_id,
                        name,
                        UPDATE,
                        "Imported before; changed in the source since, so rewritten.",
                        done[0],
                        spec,
                        fingerprint,
                    )
                )
            return
        team_id = self.team_ids.get(team_ref)
        if team_id is not None and (team_id, key) in existing_by_team:
            self.add(
                PlanItem(
                    kind,
                    external_id,
                    name,
                    MATCH,
                    f"The team already has a {what} with this name; it is used as it is, "
                    "not changed.",
                    existing_by_team[(team_id, key)],
                )
            )
            return
        if (kind, team_ref, key) in self.planned_names:
            self.add(
                PlanItem(
                    kind,
                    external_id,
                    name,
                    SKIP,
                    f"Another {what} of the same team has this name in the source; rename one "
                    "and import again.",
                )
            )
            return
        self.planned_names.add((kind, team_ref, key))
        self.add(PlanItem(kind, external_id, name, CREATE, "New.", None, spec, fingerprint))

    def layer(self, layer: ImportLayer, zone: ZoneInfo, where: str) -> dict[str, Any] | None:
        """The Tocsin layer spec of ``layer`` (refs for users), or None when it cannot be
        carried (the reason in the notes)."""
        if layer.end is not None and layer.end <= self.now:
            self.note(where, "ended layer", f"It ended at {layer.end.isoformat()}; not imported.")
            return None
        turn = layer.turn_length
        if turn == DAY:
            rotation, hours = "daily", None
        elif turn == WEEK:
            rotation, hours = "weekly", None
        elif (
            turn >= HOUR and turn % HOUR == datetime.timedelta(0) and turn <= MAX_SHIFT_HOURS * HOUR
        ):
            rotation, hours = "custom", int(turn / HOUR)
        else:
            self.note(
                where,
                f"turn length of {turn}",
                "Tocsin rotates in whole hours (1 hour to 366 days); the layer is not "
                "imported, so nobody from it is on call in Tocsin.",
            )
            return None
        people = []
        for person in layer.people:
            ref = f"{PERSON}:{person}"
            if ref in self.usable:
                people.append(ref)
            else:
                self.note(
                    where,
                    f"person {person}",
                    "Not imported (see People); left out of the rotation.",
                )
        if not people:
            self.note(
                where, "layer without people", "None of its people are imported; not imported."
            )
            return None
        first = layer.rotation_start.astimezone(zone).replace(tzinfo=None)
        if first.second or first.microsecond:
            self.note(where, "handoff seconds", "Tocsin hands off on whole minutes; rounded down.")
            first = first.replace(second=0, microsecond=0)
        if layer.start is not None:
            # Tocsin's layer starts at its first handoff: begin at the first handoff on or
            # after the source's start, with the person whose turn that is.
            start_local = layer.start.astimezone(zone).replace(tzinfo=None)
            period = turn
            skipped = max(0, -((first - start_local) // period))
            if skipped:
                first = first + skipped * period
                shift = skipped % len(people)
                people = people[shift:] + people[:shift]
            gap_end = _aware(first, zone)
            if layer.start < gap_end and gap_end > self.now:
                self.note(
                    where,
                    "layer start inside a turn",
                    f"The layer starts at {layer.start.isoformat()}, inside a turn; in Tocsin "
                    f"it starts at that turn's end, {gap_end.isoformat()}.",
                )
        if layer.end is not None:
            self.note(
                where,
                "layer end",
                f"Tocsin layers do not end; this one keeps rotating after {layer.end.isoformat()}.",
            )
        restrictions = []
        for restriction in layer.restrictions:
            restrictions.extend(self.restriction(restriction, where))
        if any(r.duration_minutes >= 7 * 1440 for r in layer.restrictions):
            restrictions = []
        return {
            "name": (layer.name or "")[:100],
            "rotation": rotation,
            "shift_length_hours": hours,
            "handoff_time": first.time().strftime("%H:%M"),
            "start": first.date().isoformat(),
            "users": people,
            "restrictions": restrictions,
        }

    def oncall_check(self, schedule: ImportSchedule, layers: list[dict[str, Any]]) -> str:
        """Compare who the planned layers (and the overrides to be created) put on call
        with the source's own answer; a sentence for the plan ("" when the source gave
        none). Differences are also Unsupported notes, with the first instant."""
        expected = [s for s in schedule.expected_oncall if s.end > max(s.start, self.now)]
        if not expected:
            return ""
        start = max(self.now, min(s.start for s in expected))
        end = max(s.end for s in expected)
        refs: list[str] = []

        def number(ref: str) -> int:
            if ref not in refs:
                refs.append(ref)
            return refs.index(ref)

        planned = rotation.Schedule(
            time_zone=schedule.time_zone,
            layers=tuple(
                rotation.Layer(
                    users=tuple(number(user) for user in layer["users"]),
                    rotation=layer["rotation"],
                    handoff_time=datetime.time.fromisoformat(layer["handoff_time"]),
                    start=datetime.date.fromisoformat(layer["start"]),
                    shift_length_hours=layer["shift_length_hours"],
                    restrictions=tuple(
                        rotation.Restriction(
                            weekdays=tuple(r["weekdays"]),
                            start=datetime.time.fromisoformat(r["start"]),
                            end=datetime.time.fromisoformat(r["end"]),
                        )
                        for r in layer["restrictions"]
                    ),
                )
                for layer in layers
            ),
            overrides=tuple(
                rotation.Override(user=number(f"{PERSON}:{o.person}"), start=o.start, end=o.end)
                for o in schedule.overrides
                if f"{PERSON}:{o.person}" in self.usable and o.end > self.now
            ),
        )
        ours = rotation.final_shifts(planned, start, end)
        boundaries = sorted(
            {start}
            | {t for s in ours for t in (s.start, s.end) if start <= t < end}
            | {t for s in expected for t in (s.start, s.end) if start <= t < end}
        )
        differ: list[datetime.datetime] = []
        for instant in boundaries:
            source_person = _person_at(expected, instant)
            tocsin = next((refs[s.user] for s in ours if s.start <= instant < s.end), None)
            if (f"{PERSON}:{source_person}" if source_person else None) != tocsin:
                differ.append(instant)
        label = self.label
        until = end.astimezone(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
        if not differ:
            return f"Who is on call until {until} is the same as in {label}."
        first = differ[0]
        self.note(
            f"schedule {schedule.external_id}",
            "who is on call",
            f"In Tocsin it would differ from {label} at {len(differ)} change(s) of hands "
            f"before {until}, first at {first.astimezone(datetime.UTC):%Y-%m-%d %H:%M} UTC "
            f"({label}: {_person_at(expected, first) or 'nobody'}). See the notes above for "
            "what could not be carried.",
        )
        return f"Who is on call differs from {label} (see Not carried over)."

    def restriction(self, restriction: ImportRestriction, where: str) -> list[dict[str, Any]]:
        start = restriction.start
        if start.second or start.microsecond:
            self.note(
                where, "restriction seconds", "Tocsin windows start on whole minutes; rounded down."
            )
        start_text = f"{start.hour:02d}:{start.minute:02d}"
        minutes = restriction.duration_minutes
        if minutes <= 0:
            self.note(where, "empty restriction", "It covers no time; left out.")
            return []
        minutes = min(minutes, 7 * 1440)
        start_minutes = start.hour * 60 + start.minute
        # One window per distinct (start, end) with all its weekdays, as people write them.
        grouped: dict[tuple[str, str], set[int]] = {}
        for weekday in sorted(set(restriction.weekdays)):
            remaining, day = minutes, weekday
            while remaining > 0:
                piece = min(remaining, 1440)
                end_minutes = (start_minutes + piece) % 1440
                end_text = f"{end_minutes // 60:02d}:{end_minutes % 60:02d}"
                grouped.setdefault((start_text, end_text), set()).add(day)
                remaining -= piece
                day = day % 7 + 1
        return [
            {"weekdays": sorted(days), "start": s, "end": e} for (s, e), days in grouped.items()
        ]

    def overrides(self, schedule: ImportSchedule) -> None:
        schedule_ref = f"{SCHEDULE}:{schedule.external_id}"
        for override in schedule.overrides:
            person_ref = f"{PERSON}:{override.person}"
            name = f"{self._name_of(person_ref)} on {schedule.name} from {override.start:%Y-%m-%d %H:%M}"
            done = self.imported(OVERRIDE, override.external_id)
            if done is not None:
                self.add(
                    PlanItem(
                        OVERRIDE, override.external_id, name, MATCH, "Imported before.", done[0]
                    )
                )
                continue
            reason = ""
            if schedule_ref not in self.usable:
                reason = "Its schedule is not imported."
            elif person_ref not in self.usable:
                reason = "Its person is not imported."
            elif override.end <= self.now:
                reason = "It is over."
            elif override.end <= override.start:
                reason = "It ends before it starts."
            if reason:
                self.add(PlanItem(OVERRIDE, override.external_id, name, SKIP, reason))
                continue
            team_ref = self.team_of[schedule_ref]
            self.membership(
                team_ref, person_ref, "member", f"Covers an override on {schedule.name}."
            )
            self.add(
                PlanItem(
                    OVERRIDE,
                    override.external_id,
                    name,
                    CREATE,
                    "New.",
                    spec={
                        "schedule": schedule_ref,
                        "person": person_ref,
                        "start": override.start.isoformat(),
                        "end": override.end.isoformat(),
                    },
                )
            )

    # --- escalation policies ---------------------------------------------------------

    def policy(self, policy: ImportPolicy) -> None:
        where = f"escalation policy {policy.external_id}"
        ref = f"{POLICY}:{policy.external_id}"
        team_ref = self.team_for(policy.teams, where)
        self.team_of[ref] = team_ref
        rules = []
        for number, rule in enumerate(policy.rules, start=1):
            rule_where = f"{where} rule {number}"
            targets = []
            for target in rule.targets:
                target_ref = {
                    TARGET_PERSON: PERSON,
                    TARGET_SCHEDULE: SCHEDULE,
                    TARGET_TEAM: TEAM,
                }.get(target.kind)
                if target_ref is None:
                    self.note(
                        rule_where,
                        f"target of kind {target.kind!r}",
                        "Tocsin cannot page it; left out.",
                    )
                    continue
                full = f"{target_ref}:{target.ref}"
                if full not in self.usable:
                    self.note(
                        rule_where,
                        f"{target.kind} {target.ref}",
                        "Not imported; left out of the rule.",
                    )
                    continue
                if target_ref == SCHEDULE and self.team_of.get(full) != team_ref:
                    self.note(
                        rule_where,
                        f"schedule {target.ref} of another team",
                        "A Tocsin policy pages only its own team's schedules; left out.",
                    )
                    continue
                if target_ref == TEAM and full != team_ref:
                    self.note(
                        rule_where,
                        f"team {target.ref}",
                        "A Tocsin policy pages only its own team; left out.",
                    )
                    continue
                if target_ref == PERSON:
                    self.membership(team_ref, full, "member", f"Paged by policy {policy.name}.")
                kind = {PERSON: "user", SCHEDULE: "schedule", TEAM: "team"}[target_ref]
                if {"type": kind, "ref": full} not in targets:
                    targets.append({"type": kind, "ref": full})
            if not targets:
                self.note(
                    rule_where,
                    "rule without targets",
                    "Nothing it pages is imported; the rule is left out.",
                )
                continue
            delay = rule.delay_minutes
            if delay < 1:
                self.note(
                    rule_where,
                    f"delay of {delay} minutes",
                    "Tocsin waits at least a minute; 1 is used.",
                )
                delay = 1
            high_only = rule.urgency == "high"
            if rule.urgency == "low":
                self.note(
                    rule_where,
                    "low-urgency only rule",
                    "Tocsin can limit a rule to high urgency only; it pages for both.",
                )
            rules.append(
                {"delay_minutes": delay, "targets": targets, "high_urgency_only": high_only}
            )
        if not rules:
            self.add(
                PlanItem(
                    POLICY,
                    policy.external_id,
                    policy.name,
                    SKIP,
                    "None of its rules can be imported.",
                )
            )
            return
        repeat = policy.repeat
        if repeat > MAX_REPEAT or repeat < 0:
            self.note(
                where,
                f"{repeat} repeats",
                f"Tocsin repeats a policy at most {MAX_REPEAT} times; {MAX_REPEAT} is used.",
            )
            repeat = min(max(repeat, 0), MAX_REPEAT)
        spec = {
            "team": team_ref,
            "name": policy.name.strip()[:100],
            "description": policy.description,
            "repeat": repeat,
            "rules": rules,
        }
        self._keyed(
            POLICY,
            policy.external_id,
            policy.name,
            spec,
            _digest(spec),
            self.current.policies,
            team_ref,
            policy.name.strip().lower(),
            "escalation policy",
        )

    # --- services --------------------------------------------------------------------

    def service(self, service: ImportService) -> None:
        where = f"service {service.external_id}"
        ref = f"{SERVICE}:{service.external_id}"
        team_ref = self.team_for(service.teams, where)
        policy_ref = ""
        if service.policy:
            full = f"{POLICY}:{service.policy}"
            if full not in self.usable:
                self.note(
                    where,
                    "escalation policy",
                    "Its policy is not imported; it uses its team's default.",
                )
            elif self.team_of.get(full) != team_ref:
                # A service follows its policy's team: that is who gets paged for it.
                team_ref = self.team_of[full]
                policy_ref = full
            else:
                policy_ref = full
        self.team_of[ref] = team_ref
        slug = _slugify(service.name)
        if not slug:
            self.add(
                PlanItem(
                    SERVICE,
                    service.external_id,
                    service.name,
                    SKIP,
                    "Its name has no letters or digits.",
                )
            )
            return
        spec = {
            "team": team_ref,
            "name": service.name.strip()[:100],
            "slug": slug[:100],
            "description": service.description,
            "policy": policy_ref,
        }
        self._keyed(
            SERVICE,
            service.external_id,
            service.name,
            spec,
            _digest(spec),
            self.current.services,
            team_ref,
            slug[:100],
            "service",
            updatable=False,
        )
        for integration in service.integrations:
            self.integration(integration, service, team_ref)

    def integration(
        self, integration: ImportIntegration, service: ImportService, team_ref: str
    ) -> None:
        name = f"{service.name}: {integration.name}".strip()[:100]
        service_ref = f"{SERVICE}:{service.external_id}"
        done = self.imported(INTEGRATION, integration.external_id)
        if done is not None:
            self.add(
                PlanItem(
                    INTEGRATION, integration.external_id, name, MATCH, "Imported before.", done[0]
                )
            )
            return
        problem = routing_key_problem(integration.routing_key)
        key = "" if problem else integration.routing_key
        digest = _routing_key_hash(key) if key else ""
        if digest and digest in self.current.routing_key_hashes:
            self.add(
                PlanItem(
                    INTEGRATION,
                    integration.external_id,
                    name,
                    SKIP,
                    "Another Tocsin integration already has this key.",
                )
            )
            return
        team_id = self.team_ids.get(team_ref)
        if team_id is not None and (team_id, name.lower()) in self.current.integration_names:
            self.add(
                PlanItem(
                    INTEGRATION,
                    integration.external_id,
                    name,
                    SKIP,
                    "The team has an integration with this name and another key.",
                )
            )
            return
        if (INTEGRATION, team_ref, name.lower()) in self.planned_names or (
            digest and (INTEGRATION, "", digest) in self.planned_names
        ):
            self.add(
                PlanItem(
                    INTEGRATION,
                    integration.external_id,
                    name,
                    SKIP,
                    "Another integration read from the source has this name or key.",
                )
            )
            return
        self.planned_names.update(
            {(INTEGRATION, team_ref, name.lower()), (INTEGRATION, "", digest)}
        )
        if service_ref not in self.usable:
            service_ref = ""
        if key:
            reason = "New, with the same key: senders only change the address they send to."
        else:
            reason = (
                f"New, with a new key ({problem}, so it cannot be kept): the key is shown "
                "once after Apply; give it to the sender."
            )
        self.add(
            PlanItem(
                INTEGRATION,
                integration.external_id,
                name,
                CREATE,
                reason,
                spec={
                    "team": team_ref,
                    "service": service_ref,
                    "name": name,
                    "kind": integration.kind,
                    "routing_key": key,
                },
            )
        )

    # --- all -------------------------------------------------------------------------

    def run(self) -> Plan:
        for person in self.bundle.people:
            self.person(person)
        for team in self.bundle.teams:
            self.team(team.external_id, team.name, team.description, "New.")
        for team in self.bundle.teams:
            for member in team.members:
                role = member.role if member.role in ("member", "manager") else "member"
                self.membership(
                    f"{TEAM}:{team.external_id}",
                    f"{PERSON}:{member.person}",
                    role,
                    f"A {role} of {team.name} in the source.",
                )
        for schedule in self.bundle.schedules:
            self.schedule(schedule)
        for schedule in self.bundle.schedules:
            self.overrides(schedule)
        for policy in self.bundle.policies:
            self.policy(policy)
        for service in self.bundle.services:
            self.service(service)
        order = {kind: index for index, kind in enumerate(KIND_ORDER)}
        items = sorted(self.items, key=lambda item: order[item.kind])
        return Plan(
            source=self.bundle.source,
            read_at=self.bundle.read_at.isoformat(),
            items=items,
            unsupported=self.notes,
        )


FALLBACK_TEAM_ID = "(no team)"


def plan_make(*, bundle: Bundle, current: Current, now: datetime.datetime, label: str) -> Plan:
    """What importing ``bundle`` would do to the rows in ``current``; ``label`` is the
    source's name for people ("PagerDuty")."""
    return _Planner(bundle, current, now, label).run()


def _person_at(shifts: list[ImportShift], instant: datetime.datetime) -> str | None:
    for shift in shifts:
        if shift.start <= instant < shift.end:
            return shift.person
    return None


def _zone(name: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return None


def _aware(local: datetime.datetime, zone: ZoneInfo) -> datetime.datetime:
    return local.replace(tzinfo=zone, fold=0).astimezone(datetime.UTC)


def _slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _unique(base: str, taken: set[str], *, separator: str) -> str:
    candidate, number = base[:90], 1
    while candidate in taken:
        number += 1
        candidate = f"{base[:90]}{separator}{number}"
    taken.add(candidate)
    return candidate
