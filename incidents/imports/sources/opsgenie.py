"""Read an Opsgenie account (REST API v2) into an import bundle.

Reads users (contact methods, the steps of their "create alert" notification rules),
teams (members and roles, the default routing rule), schedules with their rotations and
future overrides, escalations and integrations, with ``Authorization: GenieKey <key>``.
List endpoints are paged with ``offset``/``limit``; the next page is asked of the
configured base URL with the offset taken from ``paging.next``, so the key is never sent
to a host the person did not type.

Schedules are read as Opsgenie documents them: a rotation hands over every ``length``
hours/days/weeks from ``startDate``, in the schedule's time zone (wall-clock), and its
``timeRestriction`` windows are wall-clock times of that zone too. Opsgenie pages everyone
who is on call in any rotation at once, Tocsin one person per schedule: where rotations
can overlap in time that is reported. An API-based integration's ``apiKey`` becomes the
Tocsin routing key, so a sender using Opsgenie's Alert API keeps working once only its
base URL changes.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests

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

DEFAULT_BASE_URL = "https://api.opsgenie.com"
PAGE_LIMIT = 100
_TIMEOUT = 30

_WEEKDAYS = {
    "monday": 1,
    "tuesday": 2,
    "wednesday": 3,
    "thursday": 4,
    "friday": 5,
    "saturday": 6,
    "sunday": 7,
}
_MINUTES_PER_DAY = 24 * 60
_MINUTES_PER_WEEK = 7 * _MINUTES_PER_DAY
_TURN_UNITS = {"hourly": "hours", "daily": "days", "weekly": "weeks"}
_CONTACT_KINDS = {"email": "email", "sms": "sms", "voice": "voice"}
_TEAM_ROLES = {"admin": "manager", "user": "member"}
# Integration types whose senders speak Alertmanager's webhook; every other type with an
# API key reaches Tocsin through the Opsgenie-compatible Alert API under that key.
_ALERTMANAGER_TYPES = {"prometheus", "alertmanager"}


class _Client:
    """GETs against one Opsgenie base URL, with the key, answers checked."""

    def __init__(self, *, token: str, base_url: str) -> None:
        self.base_url = (base_url or DEFAULT_BASE_URL).rstrip("/")
        self.session = requests.Session()
        self.session.headers.update(
            {"Authorization": f"GenieKey {token}", "Accept": "application/json"}
        )

    def get(self, path: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        url = f"{self.base_url}/{path.lstrip('/')}"
        try:
            response = self.session.get(url, params=params, timeout=_TIMEOUT)
        except requests.RequestException as exc:
            raise SourceError(f"Opsgenie could not be reached at {self.base_url}: {exc}") from None
        if response.status_code in (401, 403):
            raise SourceError(
                "Opsgenie refused the API key (it needs read access to the configuration)."
            )
        if response.status_code >= 400:
            raise SourceError(f"Opsgenie answered {response.status_code} to GET /{path}.")
        try:
            body = response.json()
        except ValueError:
            raise SourceError(f"Opsgenie's answer to GET /{path} is not JSON.") from None
        if not isinstance(body, dict):
            raise SourceError(f"Opsgenie's answer to GET /{path} is not a JSON object.")
        return body

    def data(self, path: str, params: dict[str, Any] | None = None) -> Any:
        return self.get(path, params).get("data")

    def pages(self, path: str, params: dict[str, Any] | None = None) -> Iterator[dict[str, Any]]:
        """Every item of a paged list, following ``paging.next`` by its offset."""
        query: dict[str, Any] = {**(params or {}), "limit": PAGE_LIMIT, "offset": 0}
        seen_offsets = {0}
        while True:
            body = self.get(path, query)
            items = body.get("data") or []
            if not isinstance(items, list):
                raise SourceError(f"Opsgenie's answer to GET /{path} has no data list.")
            yield from (item for item in items if isinstance(item, dict))
            next_url = (body.get("paging") or {}).get("next")
            if not items or not next_url:
                return
            offsets = parse_qs(urlsplit(str(next_url)).query).get("offset") or []
            try:
                offset = int(offsets[0])
            except (IndexError, ValueError):
                return
            if offset in seen_offsets:  # a loop in the source's paging: stop, don't spin
                return
            seen_offsets.add(offset)
            query["offset"] = offset


def _instant(value: Any) -> datetime.datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=datetime.UTC)


def _minutes(amount: Any, unit: Any) -> int:
    value = int(amount or 0)
    return value * 60 if str(unit or "minutes").lower() == "hours" else value


def bundle_read(
    *,
    token: str,
    base_url: str = "",
    team_ids: tuple[str, ...] = (),
    now: datetime.datetime,
) -> Bundle:
    """The Opsgenie account behind ``token`` as a bundle (see the module docstring)."""
    reader = _Reader(_Client(token=token, base_url=base_url), team_ids=team_ids, now=now)
    try:
        return reader.read()
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        # A shape the API does not document: say so rather than fail with a server error.
        raise SourceError(
            f"Opsgenie's answer is not what its API documents ({type(exc).__name__}: {exc})."
        ) from None


class _Reader:
    def __init__(self, client: _Client, *, team_ids: tuple[str, ...], now: datetime.datetime):
        self.client = client
        self.team_ids = set(team_ids)
        self.now = now
        self.notes: list[Unsupported] = []
        self.person_by_username: dict[str, str] = {}

    def note(self, source_ref: str, what: str, why: str) -> None:
        self.notes.append(Unsupported(source_ref=source_ref, what=what, why=why))

    def in_scope(self, team_id: str | None) -> bool:
        return not self.team_ids or (team_id or "") in self.team_ids

    def read(self) -> Bundle:
        people = self.read_people()
        teams, default_policy = self.read_teams()
        schedules = self.read_schedules()
        schedule_ids = {schedule.external_id for schedule in schedules}
        team_ids = {team.external_id for team in teams}
        policies = self.read_policies(schedule_ids, team_ids)
        policy_ids = {policy.external_id for policy in policies}
        services = self.read_services(default_policy, policy_ids)
        if self.team_ids:
            people = self.people_in_use(people, teams, schedules, policies)
        return Bundle(
            source="opsgenie",
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
        people = []
        for user in self.client.pages("v2/users"):
            user_id, username = str(user.get("id") or ""), str(user.get("username") or "")
            if not user_id or "@" not in username:
                self.note(f"user {user_id or username!r}", "user", "It has no e-mail username.")
                continue
            self.person_by_username[username.lower()] = user_id
            methods = self.read_contacts(user_id, username)
            rules = self.read_notification_rules(user_id, username, methods)
            people.append(
                ImportPerson(
                    external_id=user_id,
                    email=username,
                    name=str(user.get("fullName") or ""),
                    time_zone=str(user.get("timeZone") or ""),
                    contact_methods=tuple(methods),
                    notification_rules=tuple(rules),
                )
            )
        return people

    def read_contacts(self, user_id: str, username: str) -> list[ImportContactMethod]:
        methods = []
        for contact in self.client.data(f"v2/users/{user_id}/contacts") or []:
            method, address = str(contact.get("method") or ""), str(contact.get("to") or "")
            ref = f"user {username} contact {contact.get('id')}"
            kind = _CONTACT_KINDS.get(method)
            if kind is None:
                self.note(
                    ref,
                    f"{method or 'unknown'} contact method",
                    "Tocsin has no such contact method (the Opsgenie mobile app has no "
                    "Tocsin counterpart); the person adds another one in Tocsin.",
                )
                continue
            if kind in ("sms", "voice") and not address.startswith("+"):
                # Opsgenie stores "<country code>-<number>"; Tocsin wants E.164.
                address = "+" + address.replace("-", "").replace(" ", "")
            if not (contact.get("status") or {}).get("enabled", True):
                self.note(
                    ref,
                    "disabled contact method",
                    "Imported like any other: Tocsin asks phone numbers to be verified "
                    "before they page.",
                )
            methods.append(
                ImportContactMethod(
                    external_id=str(contact.get("id")), kind=kind, address=address, label=method
                )
            )
        return methods

    def read_notification_rules(
        self, user_id: str, username: str, methods: list[ImportContactMethod]
    ) -> list[ImportNotificationRule]:
        by_address = {(m.kind, m.address.lstrip("+")): m.external_id for m in methods}
        rules: list[ImportNotificationRule] = []
        for rule in self.client.data(f"v2/users/{user_id}/notification-rules") or []:
            rule_id = str(rule.get("id"))
            ref = f"user {username} notification rule {rule.get('name') or rule_id}"
            if rule.get("actionType") != "create-alert":
                self.note(
                    ref,
                    f"{rule.get('actionType')} notification rule",
                    "Tocsin notifies people when they are paged only; rules for other "
                    "alert actions are not imported.",
                )
                continue
            if rule.get("enabled") is False:
                self.note(ref, "disabled notification rule", "Not imported.")
                continue
            criteria = (rule.get("criteria") or {}).get("type", "match-all")
            if criteria != "match-all":
                self.note(
                    ref,
                    "notification rule conditions",
                    "Tocsin rules choose by urgency only; the rule's steps are imported "
                    "for every page.",
                )
            steps = self.client.data(f"v2/users/{user_id}/notification-rules/{rule_id}/steps")
            for step in steps or []:
                if step.get("enabled") is False:
                    continue
                contact = step.get("contact") or {}
                kind = _CONTACT_KINDS.get(str(contact.get("method") or ""))
                to = str(contact.get("to") or "").replace("-", "").replace(" ", "").lstrip("+")
                method_id = by_address.get((kind or "", to))
                if method_id is None:
                    self.note(
                        f"{ref} step {step.get('id')}",
                        f"{contact.get('method')} notification step",
                        "It notifies a contact method that is not imported.",
                    )
                    continue
                delay = _minutes(
                    (step.get("sendAfter") or {}).get("timeAmount"),
                    (step.get("sendAfter") or {}).get("timeUnit"),
                )
                # Opsgenie's rule applies to every alert; Tocsin keeps rules per urgency.
                for urgency in ("high", "low"):
                    rules.append(
                        ImportNotificationRule(
                            external_id=f"{rule_id}:{step.get('id')}:{urgency}",
                            contact_method=method_id,
                            urgency=urgency,
                            delay_minutes=delay,
                        )
                    )
        return rules

    def people_in_use(
        self,
        people: list[ImportPerson],
        teams: list[ImportTeam],
        schedules: list[ImportSchedule],
        policies: list[ImportPolicy],
    ) -> list[ImportPerson]:
        used = {member.person for team in teams for member in team.members}
        for schedule in schedules:
            used.update(p for layer in schedule.layers for p in layer.people)
            used.update(override.person for override in schedule.overrides)
        for policy in policies:
            used.update(
                t.ref for rule in policy.rules for t in rule.targets if t.kind == TARGET_PERSON
            )
        return [person for person in people if person.external_id in used]

    def person_ref(self, participant: dict[str, Any]) -> str | None:
        if participant.get("id"):
            return str(participant["id"])
        username = str(participant.get("username") or participant.get("name") or "")
        return self.person_by_username.get(username.lower())

    # Teams ------------------------------------------------------------------------------

    def read_teams(self) -> tuple[list[ImportTeam], dict[str, str]]:
        teams, default_policy = [], {}
        for summary in self.client.pages("v2/teams"):
            team_id = str(summary.get("id") or "")
            if not team_id or not self.in_scope(team_id):
                continue
            team = self.client.data(f"v2/teams/{team_id}") or {}
            members = []
            for member in team.get("members") or []:
                person = self.person_ref(member.get("user") or {})
                role = str(member.get("role") or "user")
                if person is None:
                    continue
                if role not in _TEAM_ROLES:
                    self.note(
                        f"team {summary.get('name')} member {member.get('user', {}).get('username')}",
                        f"custom team role {role!r}",
                        "Tocsin teams have members and managers; imported as a member.",
                    )
                members.append(
                    ImportTeamMember(person=person, role=_TEAM_ROLES.get(role, "member"))
                )
            teams.append(
                ImportTeam(
                    external_id=team_id,
                    name=str(team.get("name") or summary.get("name") or team_id),
                    description=str(team.get("description") or ""),
                    members=tuple(members),
                )
            )
            policy = self.default_routing_policy(team_id, str(summary.get("name") or team_id))
            if policy:
                default_policy[team_id] = policy
        return teams, default_policy

    def default_routing_policy(self, team_id: str, team_name: str) -> str:
        """The escalation a team's default routing rule notifies, "" when none."""
        rules = self.client.data(f"v2/teams/{team_id}/routing-rules") or []
        for rule in rules:
            if not rule.get("isDefault"):
                continue
            notify = rule.get("notify") or {}
            if notify.get("type") == "escalation" and notify.get("id"):
                return str(notify["id"])
            self.note(
                f"team {team_name} default routing rule",
                f"routing to {notify.get('type') or 'nobody'}",
                "Tocsin services page through an escalation policy; the imported "
                "integrations use the team's default policy.",
            )
        if len(rules) > 1:
            self.note(
                f"team {team_name} routing rules",
                "conditional routing rules",
                "Tocsin sends every alert of an integration to its service's policy; only "
                "the default routing rule is imported.",
            )
        return ""

    # Schedules --------------------------------------------------------------------------

    def read_schedules(self) -> list[ImportSchedule]:
        schedules = []
        for schedule in self.client.pages("v2/schedules", {"expand": "rotation"}):
            schedule_id = str(schedule.get("id") or "")
            owner = str((schedule.get("ownerTeam") or {}).get("id") or "")
            if not schedule_id or not self.in_scope(owner):
                continue
            name = str(schedule.get("name") or schedule_id)
            ref = f"schedule {name}"
            if schedule.get("enabled") is False:
                self.note(
                    ref,
                    "disabled schedule",
                    "Tocsin schedules cannot be switched off; imported, and pages only "
                    "when a policy targets it.",
                )
            layers = []
            for number, rotation in enumerate(schedule.get("rotations") or [], start=1):
                layer = self.rotation_layer(ref, number, rotation)
                if layer is not None:
                    layers.append(layer)
            self.check_overlap(ref, schedule.get("rotations") or [], layers)
            schedules.append(
                ImportSchedule(
                    external_id=schedule_id,
                    name=name,
                    time_zone=str(schedule.get("timezone") or "UTC"),
                    layers=tuple(layers),
                    overrides=tuple(self.read_overrides(schedule_id, ref)),
                    description=str(schedule.get("description") or ""),
                    teams=(owner,) if owner else (),
                )
            )
        return schedules

    def rotation_layer(self, ref: str, number: int, rotation: dict[str, Any]) -> ImportLayer | None:
        name = str(rotation.get("name") or f"Rotation {number}")
        ref = f"{ref} rotation {name}"
        start = _instant(rotation.get("startDate"))
        unit = _TURN_UNITS.get(str(rotation.get("type") or ""))
        length = rotation.get("length") or 1
        if start is None or unit is None or not isinstance(length, int) or length < 1:
            self.note(
                ref, "rotation", f"Its type {rotation.get('type')!r} or start is not readable."
            )
            return None
        end = _instant(rotation.get("endDate"))
        if end is not None and end <= self.now:
            self.note(ref, "ended rotation", f"It ended at {end.isoformat()}; not imported.")
            return None
        people = []
        for participant in rotation.get("participants") or []:
            kind = participant.get("type")
            person = self.person_ref(participant) if kind == "user" else None
            if person is not None:
                people.append(person)
            elif kind == "none":
                self.note(
                    ref,
                    'empty turn (participant "none")',
                    "A Tocsin rotation turn always belongs to someone; the empty turn is "
                    "left out, so the other participants' turns come round sooner.",
                )
            else:
                self.note(
                    ref,
                    f"{kind} participant {participant.get('name') or participant.get('id')}",
                    "A Tocsin rotation turn belongs to one person; this participant is left "
                    "out of the rotation.",
                )
        if not people:
            self.note(ref, "rotation without people", "Not imported: nobody to put on call.")
            return None
        return ImportLayer(
            external_id=str(rotation.get("id") or f"{ref}"),
            rotation_start=start,
            turn_length=datetime.timedelta(**{unit: length}),
            people=tuple(people),
            restrictions=tuple(self.restrictions(ref, rotation.get("timeRestriction"))),
            start=start,
            end=end,
            name=name,
        )

    def restrictions(self, ref: str, restriction: Any) -> list[ImportRestriction]:
        if not restriction:
            return []
        kind = restriction.get("type")
        if kind == "time-of-day":
            window = restriction.get("restriction") or {}
            start = int(window.get("startHour", 0)) * 60 + int(window.get("startMin", 0))
            end = int(window.get("endHour", 0)) * 60 + int(window.get("endMin", 0))
            duration = (end - start) % _MINUTES_PER_DAY or _MINUTES_PER_DAY
            return [
                ImportRestriction(
                    weekdays=(1, 2, 3, 4, 5, 6, 7),
                    start=datetime.time(start // 60, start % 60),
                    duration_minutes=duration,
                )
            ]
        if kind == "weekday-and-time-of-day":
            result = []
            for window in restriction.get("restrictions") or []:
                start_day = _WEEKDAYS.get(str(window.get("startDay") or "").lower())
                end_day = _WEEKDAYS.get(str(window.get("endDay") or "").lower())
                if start_day is None or end_day is None:
                    self.note(ref, "restriction window", f"Unreadable days in {window!r}.")
                    continue
                start = int(window.get("startHour", 0)) * 60 + int(window.get("startMin", 0))
                end = int(window.get("endHour", 0)) * 60 + int(window.get("endMin", 0))
                duration = ((end_day - start_day) * _MINUTES_PER_DAY + end - start) % (
                    _MINUTES_PER_WEEK
                ) or _MINUTES_PER_WEEK
                result.append(
                    ImportRestriction(
                        weekdays=(start_day,),
                        start=datetime.time(start // 60, start % 60),
                        duration_minutes=duration,
                    )
                )
            return result
        self.note(ref, f"time restriction {kind!r}", "Unknown kind; the rotation is always on.")
        return []

    def check_overlap(
        self, ref: str, rotations: list[dict[str, Any]], layers: list[ImportLayer]
    ) -> None:
        """Opsgenie pages every rotation's on-call person at once; Tocsin's later layer
        wins. That only differs where two rotations' weekly windows meet."""
        windows = [weekly_windows(layer) for layer in layers]
        for i in range(len(layers)):
            for j in range(i + 1, len(layers)):
                if dates_overlap(layers[i], layers[j]) and windows_overlap(windows[i], windows[j]):
                    self.note(
                        ref,
                        f"overlapping rotations {layers[i].name} and {layers[j].name}",
                        "Opsgenie pages both rotations' people at once; in Tocsin the later "
                        f"rotation ({layers[j].name}) is on call where they overlap.",
                    )

    def read_overrides(self, schedule_id: str, ref: str) -> list[ImportOverride]:
        overrides = []
        for override in self.client.data(f"v2/schedules/{schedule_id}/overrides") or []:
            start, end = _instant(override.get("startDate")), _instant(override.get("endDate"))
            alias = str(override.get("alias") or "")
            person = self.person_ref(override.get("user") or {})
            if start is None or end is None or end <= self.now:
                continue
            if person is None or (override.get("user") or {}).get("type", "user") != "user":
                self.note(
                    f"{ref} override {alias}",
                    "override by someone who is not a user",
                    "A Tocsin override puts one person on call; not imported.",
                )
                continue
            if override.get("rotations"):
                self.note(
                    f"{ref} override {alias}",
                    "override of some rotations only",
                    "A Tocsin override replaces the whole schedule for its time.",
                )
            overrides.append(
                ImportOverride(
                    # Aliases are unique within a schedule only.
                    external_id=f"{schedule_id}:{alias or start.isoformat()}",
                    person=person,
                    start=start,
                    end=end,
                )
            )
        return overrides

    # Escalations ------------------------------------------------------------------------

    def read_policies(self, schedule_ids: set[str], team_ids: set[str]) -> list[ImportPolicy]:
        policies = []
        for escalation in self.client.pages("v2/escalations"):
            owner = str((escalation.get("ownerTeam") or {}).get("id") or "")
            if not escalation.get("id") or not self.in_scope(owner):
                continue
            policies.append(self.policy(escalation, owner, schedule_ids, team_ids))
        return policies

    def policy(
        self,
        escalation: dict[str, Any],
        owner: str,
        schedule_ids: set[str],
        team_ids: set[str],
    ) -> ImportPolicy:
        name = str(escalation.get("name") or escalation["id"])
        ref = f"escalation {name}"
        # Opsgenie delays count from the alert's creation; Tocsin waits between rules.
        steps: dict[int, list[ImportTarget]] = {}
        for number, rule in enumerate(escalation.get("rules") or [], start=1):
            target = self.rule_target(f"{ref} rule {number}", rule, schedule_ids, team_ids)
            delay = _minutes(
                (rule.get("delay") or {}).get("timeAmount"),
                (rule.get("delay") or {}).get("timeUnit"),
            )
            if rule.get("condition", "if-not-acked") != "if-not-acked":
                self.note(
                    f"{ref} rule {number}",
                    f"condition {rule.get('condition')}",
                    "Tocsin escalates until someone acknowledges.",
                )
            if target is not None:
                steps.setdefault(delay, [])
                if target not in steps[delay]:
                    steps[delay].append(target)
        delays = sorted(steps)
        if delays and delays[0] > 0:
            self.note(
                ref,
                f"first rule after {delays[0]} minutes",
                "Tocsin pages the first rule as soon as the policy starts.",
            )
        repeat = escalation.get("repeat") or {}
        count = int(repeat.get("count") or 0)
        wait = int(repeat.get("waitInterval") or 0)
        rules = []
        for index, delay in enumerate(delays):
            following = delays[index + 1] - delay if index + 1 < len(delays) else max(wait, 1)
            rules.append(
                ImportPolicyRule(
                    targets=tuple(steps[delay]),
                    delay_minutes=max(following, 1),
                    external_id=f"{escalation['id']}:{delay}",
                )
            )
        if repeat.get("resetRecipientStates") or repeat.get("closeAlertAfterAll"):
            self.note(
                ref,
                "repeat options",
                "Tocsin repeats the rules as they are; resetting recipients or closing the "
                "alert after the last repeat are not carried.",
            )
        return ImportPolicy(
            external_id=str(escalation["id"]),
            name=name,
            rules=tuple(rules),
            repeat=count,
            description=str(escalation.get("description") or ""),
            teams=(owner,) if owner else (),
        )

    def rule_target(
        self,
        ref: str,
        rule: dict[str, Any],
        schedule_ids: set[str],
        team_ids: set[str],
    ) -> ImportTarget | None:
        recipient = rule.get("recipient") or {}
        kind, notify = recipient.get("type"), rule.get("notifyType", "default")
        label = recipient.get("name") or recipient.get("username") or recipient.get("id")
        if kind == "user" and notify == "default":
            person = self.person_ref(recipient)
            if person is not None:
                return ImportTarget(kind=TARGET_PERSON, ref=person)
        elif kind == "schedule" and notify == "default":
            if recipient.get("id") in schedule_ids:
                return ImportTarget(kind=TARGET_SCHEDULE, ref=str(recipient["id"]))
            self.note(ref, f"schedule {label}", "The schedule is not imported; target left out.")
            return None
        elif kind == "team" and notify in ("default", "all") and recipient.get("id") in team_ids:
            if notify == "default":
                self.note(
                    ref,
                    f"team {label} (its routing rules)",
                    "Tocsin pages every member of the team instead.",
                )
            return ImportTarget(kind=TARGET_TEAM, ref=str(recipient["id"]))
        self.note(
            ref,
            f"{kind} recipient {label} with notify type {notify}",
            "Tocsin rules page a person, a schedule's on-call person or a whole team; "
            "this target is left out.",
        )
        return None

    # Integrations -----------------------------------------------------------------------

    def read_services(
        self, default_policy: dict[str, str], policy_ids: set[str]
    ) -> list[ImportService]:
        services = []
        for summary in self.client.pages("v2/integrations"):
            integration_id = str(summary.get("id") or "")
            team = str(summary.get("teamId") or (summary.get("ownerTeam") or {}).get("id") or "")
            if not integration_id or not self.in_scope(team):
                continue
            detail = self.client.data(f"v2/integrations/{integration_id}") or {}
            name = str(summary.get("name") or integration_id)
            ref = f"integration {name}"
            kind_name = str(summary.get("type") or detail.get("type") or "")
            api_key = str(detail.get("apiKey") or "")
            if not api_key:
                self.note(
                    ref,
                    f"{kind_name} integration",
                    "It has no API key (an e-mail or outgoing integration); Tocsin "
                    "integrations receive events over HTTP. Not imported.",
                )
                continue
            kind = "alertmanager" if kind_name.lower() in _ALERTMANAGER_TYPES else "events_v2"
            if kind_name.upper() != "API" and kind != "alertmanager":
                self.note(
                    ref,
                    f"{kind_name} integration",
                    "Imported with its key; Tocsin accepts that key on Opsgenie's Alert API "
                    "(/v2/alerts). Senders that post to a product-specific Opsgenie "
                    "endpoint must switch to the Alert API or a Tocsin webhook.",
                )
            if summary.get("enabled") is False:
                self.note(ref, "disabled integration", "Imported enabled; disable it in Tocsin.")
            policy = default_policy.get(team, "")
            services.append(
                ImportService(
                    external_id=integration_id,
                    name=name,
                    policy=policy if policy in policy_ids else "",
                    integrations=(
                        ImportIntegration(
                            external_id=integration_id, name=name, kind=kind, routing_key=api_key
                        ),
                    ),
                    teams=(team,) if team else (),
                )
            )
        return services


# The three helpers below are shared with the Grafana OnCall reader.


def weekly_windows(layer: ImportLayer) -> list[tuple[int, int]]:
    """The layer's restriction windows as minute ranges of a Monday-based week (ignoring
    DST, which only moves them together); always-on layers cover the whole week."""
    if not layer.restrictions:
        return [(0, _MINUTES_PER_WEEK)]
    windows = []
    for restriction in layer.restrictions:
        for day in restriction.weekdays:
            start = (day - 1) * _MINUTES_PER_DAY + restriction.start.hour * 60
            start += restriction.start.minute
            end = start + restriction.duration_minutes
            windows.append((start, min(end, _MINUTES_PER_WEEK)))
            if end > _MINUTES_PER_WEEK:
                windows.append((0, end - _MINUTES_PER_WEEK))
    return windows


def windows_overlap(first: list[tuple[int, int]], second: list[tuple[int, int]]) -> bool:
    return any(a < d and c < b for a, b in first for c, d in second)


def dates_overlap(first: ImportLayer, second: ImportLayer) -> bool:
    far = datetime.datetime.max.replace(tzinfo=datetime.UTC)
    near = datetime.datetime.min.replace(tzinfo=datetime.UTC)
    return (first.start or near) < (second.end or far) and (second.start or near) < (
        first.end or far
    )
