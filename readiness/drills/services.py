"""Writes for drills (game days): schedule and cancel (team managers and staff), start a
due drill by injecting its synthetic alert through the real ingest path (so it declares
an incident that pages through the real engine, marked DRILL everywhere), complete it
once its incident is resolved (findings proposed, the chaos tool told to stop, the
postmortem the drill asked for), and turn a finding into an action item.

Beat calls ``drills_start_due`` and ``drills_complete_finished``; both are safe to run
twice and at once: each drill is taken with ``FOR UPDATE SKIP LOCKED`` and only in the
status it leaves, so it starts once and completes once. What goes out (the announcement
e-mails, the chaos tool's webhooks) is an outbox message written in the same
transaction under a unique key, sent after the commit, at least once."""

from __future__ import annotations

import datetime
import secrets
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User as AuthUser
from django.db import transaction
from django.utils import timezone

from common.errors import Conflict, InvalidInput
from common.history import attribute_history
from common.outbound import outbound_url_problems
from incidents.alerts.models import Integration, IntegrationKind
from incidents.alerts.parsers.events import TRIGGER, NormalizedEvent
from incidents.alerts.services.ingest import alert_ingest
from incidents.alerts.services.integrations import integration_create, integration_update
from incidents.links import incident_url, page_url
from incidents.models import Incident, IncidentStatus, Service, Severity, TimelineEventKind
from incidents.services import timeline_event_create
from oncall.teams.models import Team, TeamMembership
from oncall.teams.services import team_require_manager
from outbox.models import Transport
from outbox.services import message_enqueue, messages_cancel
from postmortems.models import ActionItem, Postmortem
from postmortems.services import action_item_create, postmortem_create_for_incident
from readiness.drills import scoring, selectors
from readiness.drills.models import Drill, DrillFinding, DrillStatus
from runbooks.models import Runbook

ANNOUNCEMENT = "drills.announcement"
FAULT = "drills.fault"
FAULT_START, FAULT_STOP = "start", "stop"
# A drill may be scheduled this far in the past (a form filled in a minute ago).
SCHEDULE_SLACK = datetime.timedelta(minutes=5)
INTEGRATION_NAME = "Drills"


def drill_group(drill_id: int) -> str:
    return f"drill:{drill_id}"


def drill_id_of(group: str) -> int | None:
    kind, _, pk = group.partition(":")
    return int(pk) if kind == "drill" and pk.isdigit() else None


def _validate(
    *,
    team: Team,
    title: str,
    scheduled_at: datetime.datetime,
    service: Service | None,
    runbook: Runbook | None,
    fault_start_url: str,
    fault_stop_url: str,
) -> None:
    errors: dict[str, list[str]] = {}
    if not title.strip():
        errors["title"] = ["Give the drill a title."]
    if timezone.is_naive(scheduled_at):
        errors["scheduled_at"] = ["Give the time with its time zone."]
    elif scheduled_at < timezone.now() - SCHEDULE_SLACK:
        errors["scheduled_at"] = ["Choose a time from now on."]
    if service is not None and service.team_id != team.pk:
        errors["service"] = ["The service must belong to the drill's team."]
    if runbook is not None and runbook.team_id != team.pk:
        errors["runbook"] = ["The runbook must belong to the drill's team."]
    for name, url in (("fault_start_url", fault_start_url), ("fault_stop_url", fault_stop_url)):
        if url and (problems := outbound_url_problems(url)):
            errors[name] = problems
    if errors:
        raise InvalidInput("The drill could not be scheduled.", errors=errors)


@transaction.atomic
def drill_schedule(
    *,
    actor: AuthUser | None,
    team: Team,
    title: str,
    severity: Severity,
    scheduled_at: datetime.datetime,
    scenario: str = "",
    service: Service | None = None,
    runbook: Runbook | None = None,
    announced: bool = True,
    postmortem_required: bool = False,
    fault_start_url: str = "",
    fault_stop_url: str = "",
) -> Drill:
    """Schedule a drill. Announced: every member of the team is e-mailed now (when, what
    and that the pages will say DRILL); unannounced: nobody hears of it until it pages."""
    team_require_manager(actor=actor, team=team, to="schedule drills")
    fault_start_url, fault_stop_url = fault_start_url.strip(), fault_stop_url.strip()
    _validate(
        team=team,
        title=title,
        scheduled_at=scheduled_at,
        service=service,
        runbook=runbook,
        fault_start_url=fault_start_url,
        fault_stop_url=fault_stop_url,
    )
    drill = Drill(
        team=team,
        title=title.strip()[:200],
        scenario=scenario.strip(),
        severity=severity,
        scheduled_at=scheduled_at,
        service=service,
        runbook=runbook,
        announced=announced,
        postmortem_required=postmortem_required,
        fault_start_url=fault_start_url,
        fault_stop_url=fault_stop_url,
        fault_secret=secrets.token_hex(32) if fault_start_url or fault_stop_url else "",
        created_by=actor if actor is not None and actor.is_authenticated else None,
        created_at=timezone.now(),
    )
    attribute_history(drill, actor).save()
    if announced:
        _announce(drill)
    return drill


def _announce(drill: Drill) -> int:
    members = (
        get_user_model()
        .objects.filter(team_memberships__team=drill.team, is_active=True)
        .exclude(email="")
        .distinct()
        .order_by("pk")
    )
    where = f" on {drill.service.name}" if drill.service else ""
    subject = f"[DRILL] {drill.team.name}: game day {drill.scheduled_at:%Y-%m-%d %H:%M %Z}"
    text = (
        f"A drill is scheduled for team {drill.team.name}{where} at "
        f"{drill.scheduled_at:%Y-%m-%d %H:%M %Z}: {drill.title} ({drill.severity.name}).\n\n"
        + (f"{drill.scenario}\n\n" if drill.scenario else "")
        + "At that time an alert will page whoever is on call, through the usual channels; "
        "every message of it says DRILL. Respond as you would to a real incident: "
        "acknowledge, open the runbook, post updates, resolve.\n\n"
        + page_url("drill-detail", drill.pk)
    )
    sent = 0
    for user in members:
        message_enqueue(
            key=f"{ANNOUNCEMENT}:{drill.pk}:{user.pk}",
            purpose=ANNOUNCEMENT,
            transport=Transport.EMAIL,
            address=user.email,
            payload={"subject": subject, "text": text},
            recipient=user,
            group=drill_group(drill.pk),
        )
        sent += 1
    return sent


def _locked(drill: Drill | int) -> Drill:
    pk = drill.pk if isinstance(drill, Drill) else drill
    return Drill.objects.select_for_update().select_related("team").get(pk=pk)


@transaction.atomic
def drill_cancel(*, actor: AuthUser | None, drill: Drill | int) -> Drill:
    """Call off a drill that has not started (a running drill ends when its incident is
    resolved). The announcement e-mails not yet sent are dropped."""
    locked = _locked(drill)
    team_require_manager(actor=actor, team=locked.team, to="cancel drills")
    if locked.status != DrillStatus.SCHEDULED:
        raise Conflict(
            f"This drill is {locked.get_status_display().lower()}; only a scheduled "
            "drill can be cancelled."
        )
    locked.status = DrillStatus.CANCELLED
    locked.cancelled_at = timezone.now()
    locked.cancelled_by = actor if actor is not None and actor.is_authenticated else None
    attribute_history(locked, actor).save(update_fields=["status", "cancelled_at", "cancelled_by"])
    messages_cancel(group=drill_group(locked.pk), purpose=ANNOUNCEMENT)
    return locked


# --- starting: the synthetic alert through the real ingest path ---------------------------


def _drill_integration(drill: Drill) -> Integration:
    """The team's drill integration (one per service drilled, so the incident gets the
    service like a real alert of that service would): an Events API integration whose
    routing key is never shown, so only this service sends to it; it never groups its
    alerts into a storm, and maps each severity's name to itself."""
    name = (
        INTEGRATION_NAME if drill.service is None else f"{INTEGRATION_NAME}: {drill.service.slug}"
    )
    name = name[:100]
    mapping = {s.name.lower(): s.name for s in Severity.objects.all()}
    # Two drills of the team starting at once create its drill integration once: the
    # team row is locked (declaring the incident locks it next anyway).
    Team.objects.select_for_update().only("pk").get(pk=drill.team_id)
    integration = Integration.objects.filter(team=drill.team, name=name).first()
    if integration is None:
        integration, _key = integration_create(
            actor=None,
            team=drill.team,
            name=name,
            kind=IntegrationKind.EVENTS_V2,
            service=drill.service,
            severity_mapping=mapping,
            default_severity=drill.severity.name,
            storm_threshold_per_minute=0,
            rate_limit_per_minute=0,
        )
    elif integration.severity_mapping != mapping:
        integration = integration_update(
            actor=None, integration=integration, severity_mapping=mapping
        )
    return integration


def _event(drill: Drill) -> NormalizedEvent:
    labels: dict[str, Any] = {"drill": "true", "team": drill.team.key}
    if drill.service is not None:
        labels["service"] = drill.service.slug
    # A runbook that matches on alert names matches the drill's alert the way it would a
    # real one: the drill names its alert after the runbook's first alert name.
    names = (drill.runbook.matchers or {}).get("alert_names", []) if drill.runbook else []
    name = names[0] if names else f"Drill{drill.pk}"
    payload = {
        "drill": drill.pk,
        "summary": drill.title,
        "severity": drill.severity.name,
        "scenario": drill.scenario,
    }
    return NormalizedEvent(
        action=TRIGGER,
        dedup_key=f"drill-{drill.pk}",
        payload=payload,
        summary=drill.title,
        source="tocsin-drill",
        severity=drill.severity.name,
        name=str(name)[:255],
        labels=labels,
        details={"component": drill.service.slug} if drill.service else {},
    )


def drill_start(*, drill: Drill | int) -> Drill | None:
    """Start a due drill: its alert goes through ``alert_ingest`` (marked a drill), which
    declares the incident; paging, Slack and runbook matching follow as for any alert.
    None when the drill is not (or no longer) due, or another worker holds it."""
    pk = drill.pk if isinstance(drill, Drill) else drill
    with transaction.atomic():
        locked = (
            Drill.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("team", "service", "runbook", "severity")
            .filter(pk=pk, status=DrillStatus.SCHEDULED, scheduled_at__lte=timezone.now())
            .first()
        )
        if locked is None:
            return None
        integration = _drill_integration(locked)
        result = alert_ingest(integration=integration, event=_event(locked), drill=True)
        if result.incident_id is not None and result.created:
            # The responders read on the incident what the drill is about.
            timeline_event_create(
                incident=Incident.objects.get(pk=result.incident_id),
                kind=TimelineEventKind.NOTE,
                message=f"This is a drill (game day): {locked.title}."
                + (f"\n{locked.scenario}" if locked.scenario else ""),
                data={"event": "drill_started", "drill": locked.pk},
            )
        locked.integration = integration
        locked.incident_id = result.incident_id
        locked.status = DrillStatus.RUNNING
        locked.started_at = timezone.now()
        locked._change_reason = "Drill started"  # type: ignore[attr-defined]
        locked.save(update_fields=["integration", "incident", "status", "started_at"])
        if locked.fault_start_url:
            _fault_enqueue(locked, FAULT_START)
    return locked


def drills_start_due(*, limit: int = 50) -> int:
    """Beat: start every drill that is due. Each is locked on its own (SKIP LOCKED), so
    two runs at once start each drill once."""
    due = list(
        Drill.objects.filter(status=DrillStatus.SCHEDULED, scheduled_at__lte=timezone.now())
        .order_by("scheduled_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    return sum(1 for pk in due if drill_start(drill=pk) is not None)


def _fault_enqueue(drill: Drill, action: str) -> None:
    url = drill.fault_start_url if action == FAULT_START else drill.fault_stop_url
    body = {
        "type": f"drill.fault_{action}",
        "drill": drill.pk,
        "title": drill.title,
        "team": drill.team.key,
        "service": drill.service.slug if drill.service else None,
        "scenario": drill.scenario,
        "incident": drill.incident.reference if drill.incident else None,
        "incident_url": incident_url(drill.incident_id) if drill.incident_id else None,
        "drill_flag": True,
    }
    message_enqueue(
        key=f"{FAULT}:{drill.pk}:{action}",
        purpose=FAULT,
        transport=Transport.WEBHOOK,
        address=url,
        payload={"body": body},
        group=drill_group(drill.pk),
    )


# --- completing: findings, the fault stopped, the postmortem asked for --------------------


def drill_complete(*, drill: Drill | int) -> Drill | None:
    """Complete a running drill whose incident is resolved (or gone): the measures are
    taken, each missed target becomes a proposed finding, the chaos tool is told to stop,
    and the postmortem is started when the drill asked for one. None when it is not
    ready, or another worker holds it."""
    pk = drill.pk if isinstance(drill, Drill) else drill
    with transaction.atomic():
        locked = (
            Drill.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("team", "service", "runbook", "severity", "incident")
            .filter(pk=pk, status=DrillStatus.RUNNING)
            .first()
        )
        if locked is None:
            return None
        incident = locked.incident
        if incident is not None and incident.status != IncidentStatus.RESOLVED:
            return None
        now = timezone.now()
        if incident is not None:
            report = selectors.drill_report(drill=locked, finished=True)
            for proposed in scoring.drill_findings(report.measures):
                DrillFinding.objects.get_or_create(
                    drill=locked,
                    measure=proposed.measure,
                    defaults={
                        "title": proposed.title,
                        "detail": proposed.detail,
                        "created_at": now,
                    },
                )
            if (
                locked.postmortem_required
                and not Postmortem.objects.filter(incident=incident).exists()
            ):
                postmortem_create_for_incident(incident=incident, actor=None, required=True)
        locked.status = DrillStatus.COMPLETED
        locked.completed_at = now
        locked._change_reason = "Drill completed"  # type: ignore[attr-defined]
        locked.save(update_fields=["status", "completed_at"])
        if locked.fault_stop_url:
            _fault_enqueue(locked, FAULT_STOP)
    return locked


def drills_complete_finished(*, limit: int = 50) -> int:
    """Beat: complete the running drills whose incident has been resolved."""
    finished = list(
        Drill.objects.filter(status=DrillStatus.RUNNING)
        .exclude(incident__status__in=[s for s in IncidentStatus.values if s != "resolved"])
        .order_by("started_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    return sum(1 for pk in finished if drill_complete(drill=pk) is not None)


# --- findings become action items ---------------------------------------------------------


@transaction.atomic
def drill_finding_promote(
    *,
    actor: AuthUser | None,
    finding: DrillFinding | int,
    owner: AuthUser,
    priority: str,
    due_date: datetime.date,
    title: str = "",
) -> ActionItem:
    """Make a finding an action item of the drill's incident (of its postmortem, if it
    has one), owned by a member of the team. Once per finding."""
    pk = finding.pk if isinstance(finding, DrillFinding) else finding
    locked = (
        DrillFinding.objects.select_for_update(of=("self",))
        .select_related("drill__team", "drill__incident__team")
        .get(pk=pk)
    )
    drill = locked.drill
    team_require_manager(actor=actor, team=drill.team, to="turn drill findings into action items")
    if locked.action_item_id is not None:
        raise Conflict("This finding is already an action item.")
    incident: Incident | None = drill.incident
    if incident is None:
        raise Conflict("The drill's incident no longer exists.")
    if not TeamMembership.objects.filter(team=drill.team, user=owner).exists():
        raise InvalidInput(
            "The owner must be a member of the team.",
            errors={"owner": ["Choose a member of the team."]},
        )
    item = action_item_create(
        actor=actor,
        title=(title.strip() or locked.title)[:255],
        owner=owner,
        priority=priority,
        due_date=due_date,
        incident=incident,
        postmortem=Postmortem.objects.filter(incident=incident).first(),
        description=f"From the drill “{drill.title}”: {locked.detail}",
    )
    locked.action_item = item
    attribute_history(locked, actor).save(update_fields=["action_item"])
    return item
