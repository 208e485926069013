"""PagerDuty's REST API v2 read into a bundle, with pdpyras (its pagination: offset, limit,
more).

What is read: users (with contact methods and notification rules), teams (and their
members' roles), schedules (layers, restrictions, and the overrides from now on),
escalation policies, services with their integrations. Everything PagerDuty has that the
bundle cannot hold becomes an Unsupported note here; what Tocsin cannot hold is noted by
the planner.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterator
from typing import Any

import pdpyras
import requests

from incidents.imports.bundle import (
    TARGET_PERSON,
    TARGET_SCHEDULE,
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
    ImportShift,
    ImportTarget,
    ImportTeam,
    ImportTeamMember,
    Unsupported,
)
from incidents.imports.sources.errors import SourceError

SOURCE = "pagerduty"
DEFAULT_BASE_URL = "https://api.pagerduty.com"
# Overrides are read from now until this far ahead.
OVERRIDE_HORIZON = datetime.timedelta(days=366)
# PagerDuty's own rendering of who is on call is read this far ahead, for the plan to
# check the imported layers against.
CHECK_WINDOW = datetime.timedelta(days=14)

# PagerDuty contact method types -> Tocsin contact kinds.
CONTACT_TYPES = {
    "email_contact_method": "email",
    "sms_contact_method": "sms",
    "phone_contact_method": "voice",
}
# Events API integrations keep working in Tocsin with the same key (v1 keys included:
# Tocsin answers the v1 create_event endpoint too).
INTEGRATION_TYPES = {
    "events_api_v2_inbound_integration": "events_v2",
    "generic_events_api_inbound_integration": "events_v2",
}
TEAM_ROLES = {"manager": "manager", "responder": "member", "observer": "member"}
_WEEKDAYS = (1, 2, 3, 4, 5, 6, 7)


class _Reader:
    def __init__(
        self, session: pdpyras.APISession, team_ids: tuple[str, ...], now: datetime.datetime
    ):
        self.session = session
        self.team_ids = team_ids
        self.now = now
        self.notes: list[Unsupported] = []

    def note(self, source_ref: str, what: str, why: str) -> None:
        self.notes.append(Unsupported(source_ref=source_ref, what=what, why=why))

    def all(self, path: str, **params: Any) -> Iterator[dict[str, Any]]:
        try:
            yield from self.session.iter_all(path, params=params or None)
        except pdpyras.PDClientError as error:
            raise _source_error(error) from None

    def get(self, path: str, **params: Any) -> dict[str, Any]:
        try:
            body = self.session.rget(path, params=params or None)
        except pdpyras.PDClientError as error:
            raise _source_error(error) from None
        if not isinstance(body, dict):
            raise SourceError(f"PagerDuty answered {path} with something that is not an object.")
        return body

    def team_filter(self) -> dict[str, Any]:
        return {"team_ids[]": list(self.team_ids)} if self.team_ids else {}

    # --- people ----------------------------------------------------------------------

    def people(self) -> list[ImportPerson]:
        params: dict[str, Any] = {"include[]": ["contact_methods", "notification_rules"]}
        params.update(self.team_filter())
        return [self.person(user) for user in self.all("/users", **params)]

    def people_referenced(
        self,
        people: list[ImportPerson],
        schedules: list[ImportSchedule],
        policies: list[ImportPolicy],
    ) -> list[ImportPerson]:
        """People the schedules and policies name who were not listed (a read limited
        to some teams lists only their members; a rota may include others)."""
        known = {person.external_id for person in people}
        wanted: list[str] = []
        for schedule in schedules:
            for layer in schedule.layers:
                wanted.extend(layer.people)
            wanted.extend(override.person for override in schedule.overrides)
        for policy in policies:
            for rule in policy.rules:
                wanted.extend(t.ref for t in rule.targets if t.kind == TARGET_PERSON)
        found = []
        for user_id in dict.fromkeys(wanted):
            if user_id in known:
                continue
            try:
                body = self.get(
                    f"/users/{user_id}", **{"include[]": ["contact_methods", "notification_rules"]}
                )
            except SourceError as error:
                self.note(f"user {user_id}", "person named by a rota", f"Not readable: {error}")
                continue
            found.append(self.person(body.get("user", body)))
            known.add(user_id)
        return found

    def person(self, user: dict[str, Any]) -> ImportPerson:
        user_id = user["id"]
        methods_raw = user.get("contact_methods") or []
        if any(str(m.get("type", "")).endswith("_reference") for m in methods_raw):
            methods_raw = list(self.all(f"/users/{user_id}/contact_methods"))
        rules_raw = user.get("notification_rules") or []
        if any(str(r.get("type", "")).endswith("_reference") for r in rules_raw):
            rules_raw = list(self.all(f"/users/{user_id}/notification_rules"))
        methods = []
        for method in methods_raw:
            kind = CONTACT_TYPES.get(method.get("type", ""))
            where = f"user {user_id} contact method {method.get('id')}"
            if kind is None:
                self.note(
                    where,
                    _kind_name(method.get("type", "")),
                    "Tocsin has no such contact kind; not imported.",
                )
                continue
            address = str(method.get("address") or "").strip()
            if kind in ("sms", "voice"):
                digits = re.sub(r"\D", "", address)
                address = f"+{method.get('country_code') or ''}{digits}"
            methods.append(
                ImportContactMethod(
                    external_id=method["id"],
                    kind=kind,
                    address=address,
                    label=str(method.get("label") or ""),
                )
            )
        rules = []
        for rule in rules_raw:
            where = f"user {user_id} notification rule {rule.get('id')}"
            if rule.get("type") not in (None, "assignment_notification_rule"):
                self.note(
                    where,
                    _kind_name(rule.get("type", "")),
                    "Only rules for incidents assigned to the person are imported.",
                )
                continue
            urgency = rule.get("urgency") or "high"
            method_ref = (rule.get("contact_method") or {}).get("id", "")
            urgencies = ("high", "low") if urgency == "any" else (urgency,)
            for one in urgencies:
                rules.append(
                    ImportNotificationRule(
                        external_id=f"{rule.get('id')}:{one}"
                        if urgency == "any"
                        else str(rule.get("id")),
                        contact_method=method_ref,
                        urgency=one,
                        delay_minutes=int(rule.get("start_delay_in_minutes") or 0),
                    )
                )
        return ImportPerson(
            external_id=user_id,
            email=str(user.get("email") or ""),
            name=str(user.get("name") or ""),
            time_zone=str(user.get("time_zone") or ""),
            contact_methods=tuple(methods),
            notification_rules=tuple(rules),
        )

    # --- teams -----------------------------------------------------------------------

    def teams(self) -> list[ImportTeam]:
        teams = []
        for team in self.all("/teams"):
            if self.team_ids and team["id"] not in self.team_ids:
                continue
            members = []
            for member in self.all(f"/teams/{team['id']}/members"):
                role = member.get("role") or "responder"
                person = (member.get("user") or {}).get("id")
                if not person:
                    continue
                if role not in TEAM_ROLES:
                    self.note(
                        f"team {team['id']} member {person}",
                        f"role {role!r}",
                        "Imported as a member.",
                    )
                elif role == "observer":
                    self.note(
                        f"team {team['id']} member {person}",
                        "observer role",
                        "Tocsin has members and managers; an observer becomes a member.",
                    )
                members.append(ImportTeamMember(person=person, role=TEAM_ROLES.get(role, "member")))
            teams.append(
                ImportTeam(
                    external_id=team["id"],
                    name=str(team.get("name") or team["id"]),
                    description=str(team.get("description") or ""),
                    members=tuple(members),
                )
            )
        return teams

    # --- schedules -------------------------------------------------------------------

    def schedules(self) -> list[ImportSchedule]:
        schedules = []
        for summary in self.all("/schedules", **self.team_filter()):
            body = self.get(
                f"/schedules/{summary['id']}",
                since=self.now.isoformat(),
                until=(self.now + CHECK_WINDOW).isoformat(),
                time_zone=summary.get("time_zone") or "UTC",
            )
            schedule = body.get("schedule", body)
            schedules.append(self.schedule(schedule))
        return schedules

    def schedule(self, schedule: dict[str, Any]) -> ImportSchedule:
        schedule_id = schedule["id"]
        # PagerDuty lists a schedule's layers highest precedence first (the reverse of the
        # order they are written in); the bundle wants increasing precedence.
        raw_layers = list(reversed(schedule.get("schedule_layers") or []))
        layers = []
        for number, layer in enumerate(raw_layers, start=1):
            converted = self.layer(
                layer, f"schedule {schedule_id} layer {number} ({layer.get('id')})"
            )
            if converted is not None:
                layers.append(converted)
        until = self.now + OVERRIDE_HORIZON
        overrides = []
        for override in self.all(
            f"/schedules/{schedule_id}/overrides",
            since=self.now.isoformat(),
            until=until.isoformat(),
        ):
            person = (override.get("user") or {}).get("id")
            if not person:
                continue
            overrides.append(
                ImportOverride(
                    external_id=override["id"],
                    person=person,
                    start=_instant(override["start"]),
                    end=_instant(override["end"]),
                )
            )
        rendered = (schedule.get("final_schedule") or {}).get("rendered_schedule_entries") or []
        expected = tuple(
            ImportShift(
                person=entry["user"]["id"],
                start=_instant(entry["start"]),
                end=_instant(entry["end"]),
            )
            for entry in rendered
            if (entry.get("user") or {}).get("id")
        )
        return ImportSchedule(
            external_id=schedule_id,
            name=str(schedule.get("name") or schedule_id),
            time_zone=str(schedule.get("time_zone") or "UTC"),
            layers=tuple(layers),
            overrides=tuple(overrides),
            description=str(schedule.get("description") or ""),
            teams=tuple(t["id"] for t in schedule.get("teams") or [] if t.get("id")),
            expected_oncall=expected,
        )

    def layer(self, layer: dict[str, Any], where: str) -> ImportLayer | None:
        people = tuple(
            entry["user"]["id"]
            for entry in layer.get("users") or []
            if (entry.get("user") or {}).get("id")
        )
        restrictions = []
        for restriction in layer.get("restrictions") or []:
            kind = restriction.get("type")
            start = datetime.time.fromisoformat(restriction["start_time_of_day"])
            seconds = int(restriction.get("duration_seconds") or 0)
            if seconds % 60:
                self.note(
                    where,
                    "restriction length in seconds",
                    "Tocsin windows last whole minutes; rounded down.",
                )
            if kind == "daily_restriction":
                weekdays: tuple[int, ...] = _WEEKDAYS
            elif kind == "weekly_restriction":
                weekdays = (int(restriction.get("start_day_of_week") or 1),)
            else:
                self.note(
                    where,
                    f"restriction of type {kind!r}",
                    "Not a kind Tocsin knows; left out (the layer is always on).",
                )
                continue
            restrictions.append(
                ImportRestriction(weekdays=weekdays, start=start, duration_minutes=seconds // 60)
            )
        end = layer.get("end")
        return ImportLayer(
            external_id=str(layer.get("id") or ""),
            rotation_start=_instant(layer["rotation_virtual_start"]),
            turn_length=datetime.timedelta(seconds=int(layer["rotation_turn_length_seconds"])),
            people=people,
            restrictions=tuple(restrictions),
            start=_instant(layer["start"]) if layer.get("start") else None,
            end=_instant(end) if end else None,
            name=str(layer.get("name") or ""),
        )

    # --- escalation policies ---------------------------------------------------------

    def policies(self) -> list[ImportPolicy]:
        return [self.policy(p) for p in self.all("/escalation_policies", **self.team_filter())]

    def policy(self, policy: dict[str, Any]) -> ImportPolicy:
        policy_id = policy["id"]
        rules = []
        for number, rule in enumerate(policy.get("escalation_rules") or [], start=1):
            where = f"escalation policy {policy_id} rule {number}"
            strategy = (rule.get("escalation_rule_assignment_strategy") or {}).get("type")
            if strategy == "round_robin":
                self.note(
                    where,
                    "round-robin assignment",
                    "Tocsin pages every target of a rule at once; imported that way.",
                )
            targets = []
            for target in rule.get("targets") or []:
                kind = str(target.get("type") or "").removesuffix("_reference")
                if kind == "user":
                    targets.append(ImportTarget(kind=TARGET_PERSON, ref=target["id"]))
                elif kind == "schedule":
                    targets.append(ImportTarget(kind=TARGET_SCHEDULE, ref=target["id"]))
                else:
                    self.note(
                        where,
                        f"target of type {target.get('type')!r}",
                        "Tocsin cannot page it; left out.",
                    )
            rules.append(
                ImportPolicyRule(
                    targets=tuple(targets),
                    delay_minutes=int(rule.get("escalation_delay_in_minutes") or 0),
                    external_id=str(rule.get("id") or ""),
                )
            )
        if policy.get("on_call_handoff_notifications") not in (None, "if_has_services"):
            self.note(
                f"escalation policy {policy_id}",
                "handoff notifications setting",
                "Tocsin's shift notices are each person's own preference.",
            )
        return ImportPolicy(
            external_id=policy_id,
            name=str(policy.get("name") or policy_id),
            rules=tuple(rules),
            repeat=int(policy.get("num_loops") or 0),
            description=str(policy.get("description") or ""),
            teams=tuple(t["id"] for t in policy.get("teams") or [] if t.get("id")),
        )

    # --- services --------------------------------------------------------------------

    def services(self) -> list[ImportService]:
        params: dict[str, Any] = {"include[]": ["integrations"]}
        params.update(self.team_filter())
        return [self.service(s) for s in self.all("/services", **params)]

    def service(self, service: dict[str, Any]) -> ImportService:
        service_id = service["id"]
        integrations = []
        for integration in service.get("integrations") or []:
            if str(integration.get("type", "")).endswith("_reference"):
                body = self.get(f"/services/{service_id}/integrations/{integration['id']}")
                integration = body.get("integration", body)
            kind = INTEGRATION_TYPES.get(integration.get("type", ""))
            if kind is None:
                self.note(
                    f"service {service_id} integration {integration.get('id')}",
                    _kind_name(integration.get("type", "")),
                    "Tocsin receives events through the Events API, Alertmanager or a "
                    "generic webhook; set this sender up by hand.",
                )
                continue
            integrations.append(
                ImportIntegration(
                    external_id=integration["id"],
                    name=str(integration.get("name") or integration["id"]),
                    kind=kind,
                    routing_key=str(integration.get("integration_key") or ""),
                )
            )
        urgency_rule = service.get("incident_urgency_rule") or {}
        if urgency_rule.get("type") == "use_support_hours":
            self.note(
                f"service {service_id}",
                "support hours urgency",
                "Tocsin takes urgency from the incident's severity; not imported.",
            )
        policy = (service.get("escalation_policy") or {}).get("id", "")
        return ImportService(
            external_id=service_id,
            name=str(service.get("name") or service_id),
            description=str(service.get("description") or ""),
            policy=policy,
            integrations=tuple(integrations),
            teams=tuple(t["id"] for t in service.get("teams") or [] if t.get("id")),
        )


def _kind_name(pd_type: str) -> str:
    return pd_type.removesuffix("_reference").replace("_", " ") or "unknown type"


def _instant(text: str) -> datetime.datetime:
    value = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    if value.tzinfo is None:
        raise SourceError(f"PagerDuty sent a time without a zone: {text!r}.")
    return value


def _source_error(error: pdpyras.PDClientError) -> SourceError:
    response = getattr(error, "response", None)
    status = getattr(response, "status_code", None)
    if status in (401, 403):
        return SourceError("PagerDuty refused the token (check it, and that it can read).")
    if status is not None:
        return SourceError(f"PagerDuty answered with HTTP {status}.")
    return SourceError(f"PagerDuty could not be reached: {error}")


def bundle_read(
    *, token: str, base_url: str = "", team_ids: tuple[str, ...] = (), now: datetime.datetime
) -> Bundle:
    """Read PagerDuty (``base_url``: "" for the public API, or the EU region's, or a
    stand-in) into a bundle. Network only: call it outside any transaction."""
    session = pdpyras.APISession(token)
    session.url = (base_url or DEFAULT_BASE_URL).rstrip("/")
    session.max_network_attempts = 2
    session.timeout = 30
    reader = _Reader(session, tuple(team_ids), now)
    try:
        people = reader.people()
        teams = reader.teams()
        schedules = reader.schedules()
        policies = reader.policies()
        services = reader.services()
        people += reader.people_referenced(people, schedules, policies)
    except requests.RequestException as error:
        raise SourceError(f"PagerDuty could not be reached: {error}") from None
    except (KeyError, TypeError, ValueError) as error:
        raise SourceError(
            f"PagerDuty answered in a shape the importer does not know ({error})."
        ) from None
    return Bundle(
        source=SOURCE,
        read_at=now,
        people=tuple(people),
        teams=tuple(teams),
        schedules=tuple(schedules),
        policies=tuple(policies),
        services=tuple(services),
        unsupported=tuple(reader.notes),
    )
