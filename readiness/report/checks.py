"""The readiness checks of one team: what would go wrong if an incident started now.

Each check is a read over rows loaded in a fixed number of queries (whatever the number
of schedules, people, policies, services or runbooks), computed with the readers the
rooms already have: the pure rotation module for gaps and who is on call, the contact
methods' own ``pageable`` rule and the notification-rule plan for reachability, the
on-call load report for pages per engineer. Every finding names where it is fixed.

The checks, in the order the report shows them:

- ``schedule_gaps``: a schedule with nobody on call at some point of the next 14 days;
- ``unreachable_people``: a person on a schedule's layers with no verified method their
  high-urgency pages would go to;
- ``policy_dead_ends``: an escalation policy whose last rule pages nobody who can be
  paged (no targets, inactive people, people nobody can reach, a schedule with nobody on
  call now);
- ``services_without_policy`` / ``services_without_runbook`` /
  ``services_without_drill``: a service whose incidents escalate with no policy (its own
  or the team's default), that no runbook covers, or with no drill in the last 91 days;
- ``runbooks_untested``: a runbook neither tested nor written in the last 90 days;
- ``engineers_overloaded``: a member above 10 pages in an ISO week of the last 28 days.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, Prefetch, Subquery
from django.db.models.functions import Coalesce
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from incidents.alerts.models import Integration
from incidents.models import Incident, Service
from incidents.paging.selectors import PAGE_TARGET_PER_WEEK, oncall_load
from oncall.contacts.models import ContactMethod, NotificationRule
from oncall.policies.models import EscalationPolicy, EscalationRule, EscalationTarget, TargetType
from oncall.schedules import rotation
from oncall.schedules.models import Schedule
from oncall.schedules.selectors import GAP_HORIZON, schedule_queryset, schedule_to_rotation
from oncall.teams.models import Team, TeamMembership
from outbox.models import Urgency
from runbooks.models import Runbook

DRILL_WINDOW = timedelta(days=91)
RUNBOOK_TEST_WINDOW = timedelta(days=90)
LOAD_WINDOW = timedelta(days=28)
# Gaps listed per schedule (the total says how many there are in all).
GAPS_LISTED = 5


@dataclass(frozen=True)
class Check:
    key: str
    title: str
    clean: str  # what the report says when the check finds nothing


CHECKS: tuple[Check, ...] = (
    Check(
        "schedule_gaps",
        "Schedule gaps in the next 14 days",
        "Every schedule has someone on call for the next 14 days.",
    ),
    Check(
        "unreachable_people",
        "People on a rota without a verified high-urgency contact method",
        "Everyone on a rota has a verified way to get high-urgency pages.",
    ),
    Check(
        "policy_dead_ends",
        "Escalation policies that end with nobody who can be paged",
        "Every escalation policy ends with someone who can be paged.",
    ),
    Check(
        "services_without_policy",
        "Services without an escalation policy",
        "Every service escalates with a policy.",
    ),
    Check(
        "services_without_runbook",
        "Services without a runbook",
        "Every service has a runbook.",
    ),
    Check(
        "services_without_drill",
        "Services without a drill in the last quarter",
        "Every service had a drill in the last 91 days.",
    ),
    Check(
        "runbooks_untested",
        "Runbooks untested for more than 90 days",
        "Every runbook was tested in the last 90 days.",
    ),
    Check(
        "engineers_overloaded",
        f"Engineers above {PAGE_TARGET_PER_WEEK} pages a week",
        f"Nobody had more than {PAGE_TARGET_PER_WEEK} pages in a week of the last 28 days.",
    ),
)
CHECK_KEYS: tuple[str, ...] = tuple(check.key for check in CHECKS)


@dataclass(frozen=True)
class Finding:
    """One line of the report: ``subject`` (a schedule, person, policy, service or
    runbook) has ``problem``; ``fix_url`` (a path) is where it is fixed."""

    check: str
    subject_type: str
    subject_id: int
    subject: str
    problem: str
    fix_label: str
    fix_url: str
    # Schedule gaps only: the first GAPS_LISTED periods with nobody on call (UTC).
    periods: tuple[tuple[datetime, datetime], ...] = ()

    @property
    def gaps(self) -> list[dict[str, datetime]]:
        return [{"start": start, "end": end} for start, end in self.periods]


@dataclass(frozen=True)
class Section:
    check: Check
    findings: list[Finding]


@dataclass(frozen=True)
class ReadinessReport:
    team: Team
    generated_at: datetime
    sections: list[Section] = field(default_factory=list)

    @property
    def problem_count(self) -> int:
        return sum(len(section.findings) for section in self.sections)

    @property
    def findings(self) -> list[Finding]:
        return [finding for section in self.sections for finding in section.findings]


# --- reachability --------------------------------------------------------------------


@dataclass
class _Person:
    user: Any
    methods: list[ContactMethod] = field(default_factory=list)
    high_rules: list[NotificationRule] = field(default_factory=list)

    @property
    def high_urgency_methods(self) -> list[ContactMethod]:
        """The methods a high-urgency page goes to: ``notification_plan`` for many people
        at once (its rules for high urgency that can page, else every method that can)."""
        planned = [rule.contact_method for rule in self.high_rules]
        planned = [method for method in planned if method.pageable]
        return planned or [method for method in self.methods if method.pageable]

    @property
    def pageable(self) -> bool:
        """Whether the paging engine reaches them: active, and a method that can page, or
        no method at all and an account e-mail (the engine then makes that their method)."""
        if not self.user.is_active:
            return False
        if self.high_urgency_methods:
            return True
        return not self.methods and bool(self.user.email)

    @property
    def unverified_reason(self) -> str | None:
        """Why they have no verified high-urgency method (None: they have one)."""
        if self.high_urgency_methods:
            return None
        if not self.methods:
            if self.user.email:
                return "has no contact method set up (pages would fall back to the account e-mail)"
            return "has no contact method and no e-mail address: pages reach nobody"
        if any(m.enabled and not m.verified for m in self.methods):
            return "has a phone number that is not verified, and no other method that can page"
        return "has every contact method turned off"


def _people(user_ids: set[int]) -> dict[int, _Person]:
    """The users with their contact methods and high-urgency rules, in three queries."""
    if not user_ids:
        return {}
    people = {
        user.pk: _Person(user=user) for user in get_user_model().objects.filter(pk__in=user_ids)
    }
    for method in ContactMethod.objects.filter(user_id__in=people).order_by("pk"):
        people[method.user_id].methods.append(method)
    rules = NotificationRule.objects.filter(
        user_id__in=people, urgency=Urgency.HIGH
    ).select_related("contact_method")
    for rule in rules.order_by("delay_minutes", "position", "pk"):
        people[rule.user_id].high_rules.append(rule)
    return people


# --- links ---------------------------------------------------------------------------


def _url(name: str, *args: Any, query: str = "", anchor: str = "") -> str:
    path = reverse(f"web:{name}", args=args)
    return f"{path}{'?' + query if query else ''}{'#' + anchor if anchor else ''}"


def _first_url(names: tuple[str, ...]) -> str | None:
    """The first of the pages that exists (another room may not have built its own yet)."""
    for name in names:
        try:
            return reverse(f"web:{name}")
        except NoReverseMatch:
            continue
    return None


def _hours(delta: timedelta) -> str:
    hours = delta.total_seconds() / 3600
    return f"{hours:.0f} h" if hours >= 1 else f"{delta.total_seconds() / 60:.0f} min"


# --- the checks ------------------------------------------------------------------------


def _schedule_gaps(
    schedules: list[Schedule], values: dict[int, rotation.Schedule | str], now: datetime
) -> list[Finding]:
    """``values``: each schedule as the pure value, or why it cannot be computed."""
    findings = []
    for schedule in schedules:
        value = values[schedule.pk]
        gaps: list[tuple[datetime, datetime]] = []
        try:
            if isinstance(value, str):
                raise ValueError(value)
            gaps = rotation.gaps(value, now, now + GAP_HORIZON)
        except ValueError as exc:
            problem = f"cannot be computed ({exc}): who is on call is unknown"
        else:
            if not gaps:
                continue
            total = sum((end - start for start, end in gaps), timedelta())
            count = f"{len(gaps)} gap{'s' if len(gaps) != 1 else ''}"
            problem = f"nobody is on call for {_hours(total)} in the next 14 days ({count})"
        findings.append(
            Finding(
                "schedule_gaps",
                "schedule",
                schedule.pk,
                schedule.name,
                problem,
                "Edit the schedule",
                _url("oncall-schedule-edit", schedule.pk),
                periods=tuple(gaps[:GAPS_LISTED]),
            )
        )
    return findings


def _rota_user_ids(schedules: list[Schedule]) -> list[int]:
    ids: dict[int, None] = {}
    for schedule in schedules:
        for layer in schedule.layers.all():
            for member in layer.members.all():
                if member.user.is_active:
                    ids[member.user_id] = None
    return list(ids)


def _unreachable_people(rota_ids: list[int], people: dict[int, _Person]) -> list[Finding]:
    findings = []
    rota = sorted((people[uid] for uid in rota_ids), key=lambda p: p.user.get_username())
    for person in rota:
        reason = person.unverified_reason
        if reason is None:
            continue
        findings.append(
            Finding(
                "unreachable_people",
                "user",
                person.user.pk,
                person.user.get_username(),
                reason,
                "Contact methods (their profile)",
                _url("profile", anchor="contact-methods"),
            )
        )
    return findings


def _target_words(target: EscalationTarget, names: dict[str, dict[int, str]]) -> str:
    if target.type == TargetType.USER:
        return names["user"].get(target.user_id or 0, f"user #{target.user_id}")
    if target.type == TargetType.SCHEDULE:
        return f"schedule {names['schedule'].get(target.schedule_id or 0, target.schedule_id)}"
    return f"everyone in {names['team'].get(target.team_id or 0, target.team_id)}"


def _policy_dead_ends(
    policies: list[EscalationPolicy],
    *,
    people: dict[int, _Person],
    oncall_now: dict[int, int | None],
    team_members: dict[int, list[int]],
    names: dict[str, dict[int, str]],
) -> list[Finding]:
    def reachable(user_id: int | None) -> bool:
        person = people.get(user_id or 0)
        return person is not None and person.pageable

    def why_nobody(target: EscalationTarget) -> str | None:
        """Why ``target`` pages nobody who can be paged (None: it pages someone)."""
        if target.type == TargetType.USER:
            ok, reason = reachable(target.user_id), "cannot be paged"
        elif target.type == TargetType.SCHEDULE:
            on_call = oncall_now.get(target.schedule_id or 0)
            ok, reason = reachable(on_call), "has nobody on call now who can be paged"
        else:
            members = team_members.get(target.team_id or 0, [])
            ok, reason = any(reachable(uid) for uid in members), "has nobody who can be paged"
        return None if ok else f"{_target_words(target, names)} {reason}"

    def problem_of(policy: EscalationPolicy) -> str | None:
        rules = list(policy.rules.all())
        if not rules:
            return "has no rules: its incidents page nobody"
        reasons = [why_nobody(target) for target in rules[-1].targets.all()]
        if any(reason is None for reason in reasons):
            return None
        detail = "; ".join(r for r in reasons if r) or "it has no targets"
        return f"its last rule (rule {len(rules)}) pages nobody: {detail}"

    findings = []
    for policy in policies:
        problem = problem_of(policy)
        if problem is not None:
            findings.append(
                Finding(
                    "policy_dead_ends",
                    "policy",
                    policy.pk,
                    policy.name,
                    problem,
                    "Edit the policy",
                    _url("oncall-policy-edit", policy.pk),
                )
            )
    return findings


def _services(
    team: Team, services: Sequence[Service], policies: list[EscalationPolicy], now: datetime
) -> tuple[list[Finding], list[Finding], list[Finding]]:
    drills_page = _first_url(("drill-list",))
    integration_of: dict[int, int] = {}
    if drills_page is None:
        # No drills page yet: the service's integration is the nearest page about it.
        integrations = Integration.objects.filter(service__in=services).order_by("pk")
        for service_id, integration_id in integrations.values_list("service_id", "pk"):
            integration_of.setdefault(service_id, integration_id)
    if policies:
        # The policy editor is where a policy becomes the team's default.
        policy_fix = (
            "Make a policy the team's default",
            _url("oncall-policy-edit", policies[0].pk),
        )
    else:
        policy_fix = ("Create an escalation policy", _url("oncall-policy-new", team.pk))
    coverage_fix = ("Runbook coverage", _url("runbook-coverage", query=f"team={team.pk}"))
    no_policy, no_runbook, no_drill = [], [], []
    for service in services:
        if service.escalation_policy_id is None and team.escalation_policy_id is None:
            no_policy.append(
                Finding(
                    "services_without_policy",
                    "service",
                    service.pk,
                    service.name,
                    "has no escalation policy, and the team has no default one: "
                    "its incidents page nobody",
                    *policy_fix,
                )
            )
        if not service.has_runbook:  # type: ignore[attr-defined]
            no_runbook.append(
                Finding(
                    "services_without_runbook",
                    "service",
                    service.pk,
                    service.name,
                    "no runbook covers it",
                    *coverage_fix,
                )
            )
        last_drill = service.last_drill_at  # type: ignore[attr-defined]
        if last_drill is None or last_drill < now - DRILL_WINDOW:
            when = f"last drill {last_drill:%Y-%m-%d}" if last_drill else "never drilled"
            if drills_page:
                fix = ("Plan a drill", drills_page)
            elif service.pk in integration_of:
                fix = (
                    "The service's integration",
                    _url("integration-detail", integration_of[service.pk]),
                )
            else:
                fix = ("Integrations", _url("integration-list"))
            no_drill.append(
                Finding(
                    "services_without_drill",
                    "service",
                    service.pk,
                    service.name,
                    f"no drill in the last 91 days ({when})",
                    *fix,
                )
            )
    return no_policy, no_runbook, no_drill


def _runbooks_untested(team: Team, now: datetime) -> list[Finding]:
    stale = (
        Runbook.objects.filter(team=team)
        .annotate(last_proof=Coalesce("last_tested_at", "created_at"))
        .filter(last_proof__lt=now - RUNBOOK_TEST_WINDOW)
        .only("pk", "title", "last_tested_at", "created_at")
        .order_by("last_proof", "title", "pk")
    )
    findings = []
    for runbook in stale:
        if runbook.last_tested_at is None:
            problem = f"never tested (written {runbook.created_at:%Y-%m-%d})"
        else:
            days = (now - runbook.last_tested_at).days
            problem = f"last tested {runbook.last_tested_at:%Y-%m-%d}, {days} days ago"
        findings.append(
            Finding(
                "runbooks_untested",
                "runbook",
                runbook.pk,
                runbook.title,
                problem,
                "Test it and mark it tested",
                _url("runbook-detail", runbook.pk),
            )
        )
    return findings


def _engineers_overloaded(team: Team, now: datetime) -> list[Finding]:
    findings = []
    for row in oncall_load(team=team, since=now - LOAD_WINDOW, until=now):
        if not row["over_target"]:
            continue
        week, pages = max(row["pages_per_week"].items(), key=lambda item: (item[1], item[0]))
        findings.append(
            Finding(
                "engineers_overloaded",
                "user",
                row["user"]["id"],
                row["user"]["username"],
                f"{pages} pages in week {week} (more than {PAGE_TARGET_PER_WEEK}); "
                f"{row['pages']} in the last 28 days",
                "On-call load",
                _url("oncall-page", query=f"team={team.pk}", anchor="load-report"),
            )
        )
    return findings


# --- the report ------------------------------------------------------------------------


def readiness_report(*, team: Team, now: datetime | None = None) -> ReadinessReport:
    """The team's readiness report at ``now``. A fixed number of queries (sixteen),
    whatever the number of rows."""
    now = now or timezone.now()
    schedules = list(schedule_queryset().filter(team=team).order_by("name", "pk"))
    rules = EscalationRule.objects.order_by("position", "pk").prefetch_related(
        Prefetch("targets", queryset=EscalationTarget.objects.order_by("pk"))
    )
    policies = list(
        EscalationPolicy.objects.filter(team=team)
        .prefetch_related(Prefetch("rules", queryset=rules))
        .order_by("name", "pk")
    )
    last_targets = [
        target
        for policy in policies
        for rule in list(policy.rules.all())[-1:]
        for target in rule.targets.all()
    ]

    # Schedules a last rule names that are not the team's (an edit could leave one).
    by_schedule = {s.pk: s for s in schedules}
    foreign = {
        t.schedule_id
        for t in last_targets
        if t.type == TargetType.SCHEDULE and t.schedule_id not in by_schedule
    }
    if foreign:
        by_schedule.update({s.pk: s for s in schedule_queryset().filter(pk__in=foreign)})
    values: dict[int, rotation.Schedule | str] = {}
    oncall_now: dict[int, int | None] = {}
    for schedule in by_schedule.values():
        try:
            value = schedule_to_rotation(schedule)
            oncall_now[schedule.pk] = rotation.oncall_at(value, now)
            values[schedule.pk] = value
        except ValueError as exc:
            values[schedule.pk], oncall_now[schedule.pk] = str(exc), None

    team_ids = {t.team_id for t in last_targets if t.type == TargetType.TEAM and t.team_id}
    team_members: dict[int, list[int]] = defaultdict(list)
    team_names: dict[int, str] = {team.pk: team.name}
    if team_ids:
        memberships = TeamMembership.objects.filter(team_id__in=team_ids).select_related("team")
        for membership in memberships.order_by("user_id"):
            team_members[membership.team_id].append(membership.user_id)
            team_names[membership.team_id] = membership.team.name

    rota_ids = _rota_user_ids(schedules)
    user_ids = set(rota_ids)
    user_ids |= {t.user_id for t in last_targets if t.user_id}
    user_ids |= {uid for uid in oncall_now.values() if uid}
    user_ids |= {uid for members in team_members.values() for uid in members}
    people = _people(user_ids)
    names = {
        "user": {uid: p.user.get_username() for uid, p in people.items()},
        "schedule": {pk: s.name for pk, s in by_schedule.items()},
        "team": team_names,
    }

    services = list(
        Service.objects.filter(team=team)
        .annotate(
            has_runbook=Exists(Runbook.services.through.objects.filter(service_id=OuterRef("pk"))),
            last_drill_at=Subquery(
                Incident.objects.filter(services=OuterRef("pk"), is_drill=True)
                .order_by("-triggered_at")
                .values("triggered_at")[:1]
            ),
        )
        .order_by("name", "pk")
    )
    no_policy, no_runbook, no_drill = _services(team, services, policies, now)

    found = {
        "schedule_gaps": _schedule_gaps(schedules, values, now),
        "unreachable_people": _unreachable_people(rota_ids, people),
        "policy_dead_ends": _policy_dead_ends(
            policies, people=people, oncall_now=oncall_now, team_members=team_members, names=names
        ),
        "services_without_policy": no_policy,
        "services_without_runbook": no_runbook,
        "services_without_drill": no_drill,
        "runbooks_untested": _runbooks_untested(team, now),
        "engineers_overloaded": _engineers_overloaded(team, now),
    }
    return ReadinessReport(
        team=team,
        generated_at=now,
        sections=[Section(check, found[check.key]) for check in CHECKS],
    )
