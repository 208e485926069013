"""The neutral bundle every on-call importer produces: what a source (PagerDuty, Opsgenie,
Grafana OnCall) holds, in Tocsin's terms but before any row exists.

A source module reads its API and returns one :class:`Bundle`; ``incidents.imports.plan``
compares it with the rows already in Tocsin and decides what to create, match or skip.
Sources never touch the database, and the planner never talks to the network.

Conventions shared by every record:

* ``external_id`` is the source's own stable id for the object (PagerDuty ``PXXXXXX``,
  an Opsgenie UUID …). Together with ``Bundle.source`` it is what makes a second import
  change nothing: the ids of what an import created are stored in ``ImportedObject``.
* References between records (a layer's users, a rule's targets, a service's policy) are
  ``external_id`` values of other records in the same bundle, never names.
* Datetimes are timezone-aware; times of day are naive wall-clock times in the zone of
  the record that owns them (the schedule's ``time_zone``).
* Whatever the source has and Tocsin cannot represent is an :class:`Unsupported` note in
  ``Bundle.unsupported`` (with the source's reference, what it is and why), or, when it
  only appears while planning, in the plan. Nothing is dropped silently.

The dataclasses are frozen; new fields are only ever added with defaults, so a source
written against an older bundle keeps working.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

# Contact kinds as Tocsin knows them (``oncall.contacts.models.ContactKind`` values); a
# source maps its own kinds onto these or reports the method as Unsupported.
CONTACT_KINDS = ("email", "slack", "webhook", "pagerduty", "sms", "voice")

# Team roles as Tocsin knows them (``oncall.teams.models.TeamRole`` values).
TEAM_ROLES = ("member", "manager")

# Escalation target kinds (``oncall.policies.models.TargetType`` values).
TARGET_PERSON = "person"
TARGET_SCHEDULE = "schedule"
TARGET_TEAM = "team"
TARGET_KINDS = (TARGET_PERSON, TARGET_SCHEDULE, TARGET_TEAM)

# Integration kinds (``incidents.alerts.models.IntegrationKind`` values).
INTEGRATION_KINDS = ("events_v2", "alertmanager", "webhook")

# Urgencies (``outbox.models.Urgency`` values); "any" on a policy rule means both.
URGENCIES = ("high", "low")


@dataclass(frozen=True)
class Unsupported:
    """Something in the source that Tocsin does not carry, or carries only approximately.

    ``source_ref``: the source object it belongs to, readable by a person who knows the
    source ("schedule PABC123 layer 2", "user PXYZ contact method PC1").
    ``what``: what is not carried ("layer end", "round-robin escalation").
    ``why``: why, and what the import does instead ("Tocsin layers run without an end;
    the layer is imported and keeps rotating after 2026-12-01").
    """

    source_ref: str
    what: str
    why: str


@dataclass(frozen=True)
class ImportContactMethod:
    """One way to reach a person. ``kind`` is one of CONTACT_KINDS; ``address`` is what
    Tocsin stores for that kind (an email address, an E.164 number, a webhook URL …)."""

    external_id: str
    kind: str
    address: str
    label: str = ""


@dataclass(frozen=True)
class ImportNotificationRule:
    """A person's own rule: for ``urgency`` ("high" or "low"), notify the contact method
    ``contact_method`` (an ``ImportContactMethod.external_id`` of the same person)
    ``delay_minutes`` after the person is paged."""

    external_id: str
    contact_method: str
    urgency: str = "high"
    delay_minutes: int = 0


@dataclass(frozen=True)
class ImportPerson:
    """A person, matched to a Tocsin account by ``email`` (case-insensitively).

    ``time_zone`` is an IANA name or "" when the source has none.
    """

    external_id: str
    email: str
    name: str = ""
    time_zone: str = ""
    contact_methods: tuple[ImportContactMethod, ...] = ()
    notification_rules: tuple[ImportNotificationRule, ...] = ()


@dataclass(frozen=True)
class ImportTeamMember:
    """``person``: an ``ImportPerson.external_id``; ``role``: one of TEAM_ROLES."""

    person: str
    role: str = "member"


@dataclass(frozen=True)
class ImportTeam:
    """A team, matched to a Tocsin team by name (case-insensitively) when not yet
    imported. ``description`` is free text."""

    external_id: str
    name: str
    description: str = ""
    members: tuple[ImportTeamMember, ...] = ()


@dataclass(frozen=True)
class ImportRestriction:
    """A weekly window in which a layer's people may be on call: starts at ``start``
    (naive local time in the schedule's zone) on each ISO weekday in ``weekdays``
    (1 = Monday … 7 = Sunday) and lasts ``duration_minutes`` (1 … 7 × 1440).

    This is the source's shape, kept general on purpose; the planner turns it into
    Tocsin's day-based windows (a window longer than a day becomes several) and reports
    what cannot be carried (seconds, for one)."""

    weekdays: tuple[int, ...]
    start: datetime.time
    duration_minutes: int


@dataclass(frozen=True)
class ImportLayer:
    """One rotation of a schedule.

    ``rotation_start``: an aware instant at which ``people[0]``'s turn begins (the source's
    "virtual start"; may lie long before ``start``).
    ``turn_length``: how long each turn lasts, measured in *local wall-clock* time of the
    schedule's zone (a one-day turn handing off at 09:00 stays at 09:00 across a DST
    change), which is both what PagerDuty does and how Tocsin rotates.
    ``people``: ``ImportPerson.external_id`` values in rotation order (repeats allowed).
    ``restrictions``: empty means always on.
    ``start`` / ``end``: when the layer takes effect and stops (aware; ``None`` = no bound).
    ``name``: the source's name for the layer, "" when it has none.
    """

    external_id: str
    rotation_start: datetime.datetime
    turn_length: datetime.timedelta
    people: tuple[str, ...]
    restrictions: tuple[ImportRestriction, ...] = ()
    start: datetime.datetime | None = None
    end: datetime.datetime | None = None
    name: str = ""


@dataclass(frozen=True)
class ImportOverride:
    """``person`` is on call over every layer in ``[start, end)`` (aware datetimes)."""

    external_id: str
    person: str
    start: datetime.datetime
    end: datetime.datetime


@dataclass(frozen=True)
class ImportShift:
    """The source's own answer: ``person`` (an ImportPerson.external_id) is on call in
    ``[start, end)`` (aware), all layers and overrides applied."""

    person: str
    start: datetime.datetime
    end: datetime.datetime


@dataclass(frozen=True)
class ImportSchedule:
    """A schedule: ``layers`` in increasing precedence (later layers win where they have
    somebody), then ``overrides``. ``teams``: ``ImportTeam.external_id`` values it belongs
    to, the first one being the Tocsin team it goes into (empty: the import's fallback
    team)."""

    external_id: str
    name: str
    time_zone: str
    layers: tuple[ImportLayer, ...] = ()
    overrides: tuple[ImportOverride, ...] = ()
    description: str = ""
    teams: tuple[str, ...] = ()
    # Who the source says is on call over a window from the read (its rendered final
    # schedule), when it tells; empty when it does not. The planner checks the layers it
    # plans against it and reports where Tocsin would differ.
    expected_oncall: tuple[ImportShift, ...] = ()


@dataclass(frozen=True)
class ImportTarget:
    """Whom a rule pages: ``kind`` is one of TARGET_KINDS and ``ref`` the external_id of an
    ImportPerson, ImportSchedule or ImportTeam."""

    kind: str
    ref: str


@dataclass(frozen=True)
class ImportPolicyRule:
    """Page ``targets``, then wait ``delay_minutes`` (>= 1) before the next rule.
    ``urgency``: "any", or "high" when the rule pages only for high-urgency incidents."""

    targets: tuple[ImportTarget, ...]
    delay_minutes: int
    urgency: str = "any"
    external_id: str = ""


@dataclass(frozen=True)
class ImportPolicy:
    """An escalation policy: ``rules`` in order, the whole list run ``1 + repeat`` times
    (``repeat``: the source's extra loops; Tocsin allows 0 … 9). ``teams`` as on
    ImportSchedule."""

    external_id: str
    name: str
    rules: tuple[ImportPolicyRule, ...] = ()
    repeat: int = 0
    description: str = ""
    teams: tuple[str, ...] = ()


@dataclass(frozen=True)
class ImportIntegration:
    """How alerts reach a service. ``kind`` is one of INTEGRATION_KINDS; ``routing_key`` is
    the key senders already use (kept, so that only their base URL changes), or "" when
    the source has none. When it is "" or a key Tocsin cannot take
    (``incidents.imports.plan.routing_key_problem``), Tocsin issues a new key, shown once
    after Apply."""

    external_id: str
    name: str
    kind: str
    routing_key: str = ""


@dataclass(frozen=True)
class ImportService:
    """A service: ``policy`` is an ImportPolicy.external_id or "" (the team's default).
    ``teams`` as on ImportSchedule."""

    external_id: str
    name: str
    description: str = ""
    policy: str = ""
    integrations: tuple[ImportIntegration, ...] = ()
    teams: tuple[str, ...] = ()


@dataclass(frozen=True)
class Bundle:
    """Everything one source run read. ``source`` is the registry name ("pagerduty",
    "opsgenie", "grafana-oncall") and, with each record's ``external_id``, the key of
    what was imported. ``read_at``: when the source was read (aware)."""

    source: str
    read_at: datetime.datetime
    people: tuple[ImportPerson, ...] = ()
    teams: tuple[ImportTeam, ...] = ()
    schedules: tuple[ImportSchedule, ...] = ()
    policies: tuple[ImportPolicy, ...] = ()
    services: tuple[ImportService, ...] = ()
    unsupported: tuple[Unsupported, ...] = field(default=())
