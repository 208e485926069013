"""Demo drills: a game day the first team ran three weeks ago, and one another team has
coming up this week. Idempotent like the incidents: a team that has a drill is left alone.

The completed drill is replayed through the real drill services (scheduled, started by
its synthetic alert through the ingest path, acknowledged, its runbook opened, an update
to the stakeholders, resolved, completed, a finding made an action item), each step then
moved to the moment it stands for (see demo.backdate), so its report shows real figures.
What the replay queued to send (the announcement, the pages, the stakeholder e-mail) went
out three weeks ago in the story: it is cancelled before the commit, so nothing of it is
sent when the demo starts.
"""

from datetime import datetime, timedelta
from functools import partial

from django.db import transaction
from django.utils import timezone

from demo.backdate import backdate, history_mark
from demo.incidents import _change, _newest, escalation_backdate
from demo.teams import DemoTeam
from incidents import services as incident_services
from incidents.alerts.models import Alert, AlertEvent, Integration
from incidents.communication.models import StatusUpdate, UpdateAudience
from incidents.communication.services.emails import incident_group
from incidents.communication.services.updates import status_update_post
from incidents.models import Incident, IncidentStatus, Resolution, Service, Severity, TimelineEvent
from incidents.paging.models import Page
from oncall.contacts.models import ContactMethod
from oncall.teams.models import TeamMembership, TeamRole
from outbox.services import messages_cancel
from postmortems.models import ActionItem
from readiness.drills import services as drill_services
from readiness.drills.models import Drill, DrillFinding
from runbooks.models import Runbook, RunbookAttachment
from runbooks.services import runbook_opened_from_incident

DRILLED_DAYS_AGO = 21
ANNOUNCED_DAYS_BEFORE = 7
UPCOMING_IN_DAYS = 3

# Minutes after the page: the SEV2 targets are 15 min to acknowledge, 5 min to the first
# update beyond the team and 4 h to resolve, so the update is the one target missed.
ACKNOWLEDGED_AFTER = 4
INVESTIGATING_AFTER = 6
RUNBOOK_OPENED_AFTER = 7
UPDATE_AFTER = 12
RESOLVED_AFTER = 95
COMPLETED_AFTER = 96  # the beat completes a drill within a minute of its resolution


def drills_demo_seed(teams: list[DemoTeam]) -> int:
    """The first team's completed drill and the second team's upcoming one, each only
    for a team that has no drill yet. Returns how many drills were added."""
    added = 0
    if teams and not Drill.objects.filter(team=teams[0].team).exists():
        with transaction.atomic():
            _completed_drill(teams[0])
        added += 1
    if len(teams) > 1 and not Drill.objects.filter(team=teams[1].team).exists():
        _upcoming_drill(teams[1])
        added += 1
    return added


def _manager(demo: DemoTeam):
    membership = (
        TeamMembership.objects.filter(team=demo.team, role=TeamRole.MANAGER)
        .select_related("user")
        .order_by("pk")
        .first()
    )
    return membership.user if membership is not None else demo.people[0]


def _service(demo: DemoTeam, slug: str) -> Service | None:
    return next((s for s in demo.services if s.slug == slug), None)


def _runbook(demo: DemoTeam, title: str) -> Runbook | None:
    return Runbook.objects.filter(team=demo.team, title=title).first()


def _completed_drill(demo: DemoTeam) -> None:
    now = timezone.now()
    start = timezone.localtime(now - timedelta(days=DRILLED_DAYS_AGO)).replace(
        hour=10, minute=0, second=0, microsecond=0
    )
    manager = _manager(demo)
    runbook = _runbook(demo, "Database outage")

    # Scheduled a week ahead, announced to the team. The service only accepts a time
    # from now on: the drill is scheduled now, then moved.
    since = history_mark(Drill)
    drill = drill_services.drill_schedule(
        actor=manager,
        team=demo.team,
        title="Checkout database fails over",
        severity=Severity.objects.get(name="SEV2"),
        scheduled_at=now,
        scenario="The primary database behind checkout goes away; the replica must take "
        "over, and customers be told within the update target.",
        service=_service(demo, "checkout-api") or demo.services[0],
        runbook=runbook,
        announced=True,
    )
    drill_rows = Drill.objects.filter(pk=drill.pk)
    backdate(
        drill_rows,
        at=start - timedelta(days=ANNOUNCED_DAYS_BEFORE),
        since=since,
        fields=["created_at"],
        scheduled_at=start,
    )

    incident = _start(drill, start)
    responder = _responder(demo, incident)
    at = partial(_minutes, start)
    _change(
        incident,
        at(ACKNOWLEDGED_AFTER),
        partial(incident_services.incident_acknowledge, incident=incident, actor=responder),
        ["updated_at", "acknowledged_at"],
    )
    _change(
        incident,
        at(INVESTIGATING_AFTER),
        partial(
            incident_services.incident_transition,
            incident=incident,
            to_status=IncidentStatus.INVESTIGATING,
            actor=responder,
            message="Primary unreachable; following the database outage runbook.",
        ),
        ["updated_at"],
    )
    if runbook is not None:
        _change(
            incident,
            at(RUNBOOK_OPENED_AFTER),
            partial(
                runbook_opened_from_incident, runbook=runbook, incident=incident, actor=responder
            ),
            [],
        )
    newest_update = _newest(StatusUpdate.objects.filter(incident=incident))
    _change(
        incident,
        at(UPDATE_AFTER),
        partial(
            status_update_post,
            incident=incident,
            actor=responder,
            message="Checkout is failing for some customers while we fail over the "
            "database. Next update within 15 minutes.",
            audience=UpdateAudience.STAKEHOLDERS,
        ),
        [],
    )
    StatusUpdate.objects.filter(incident=incident, pk__gt=newest_update).update(
        created_at=at(UPDATE_AFTER)
    )
    _change(
        incident,
        at(RESOLVED_AFTER),
        partial(
            incident_services.incident_resolve,
            incident=incident,
            actor=responder,
            message="Replica promoted; checkout verified end to end.",
            resolution=Resolution.FIXED,
        ),
        ["updated_at", "resolved_at"],
    )
    Alert.objects.filter(incident=incident, resolved_at__isnull=False).update(
        resolved_at=at(RESOLVED_AFTER), last_seen=at(RESOLVED_AFTER)
    )

    since = history_mark(Drill, DrillFinding)
    drill_services.drill_complete(drill=drill.pk)
    completed = at(COMPLETED_AFTER)
    backdate(drill_rows, at=completed, since=since, fields=["completed_at"])
    findings = DrillFinding.objects.filter(drill=drill)
    backdate(findings, at=completed, since=since, fields=["created_at"])

    # The next morning the manager makes the first finding an action item.
    finding = findings.order_by("pk").first()
    if finding is not None:
        reviewed = completed + timedelta(hours=22)
        since = history_mark(DrillFinding, ActionItem)
        item = drill_services.drill_finding_promote(
            actor=manager,
            finding=finding,
            owner=responder,
            priority="P2",
            due_date=timezone.localdate(reviewed) + timedelta(days=28),
        )
        backdate(
            ActionItem.objects.filter(pk=item.pk), at=reviewed, since=since, fields=["created_at"]
        )
        backdate(DrillFinding.objects.filter(pk=finding.pk), at=reviewed, since=since)

    messages_cancel(group=drill_services.drill_group(drill.pk))
    messages_cancel(group=incident_group(incident.pk))


def _minutes(start: datetime, minutes: int) -> datetime:
    return start + timedelta(minutes=minutes)


def _start(drill: Drill, at: datetime) -> Incident:
    """Start the (now due) drill, then move what its alert wrote to ``at``: the drill's
    start, the alert, the incident it declared with its timeline, history and paging,
    the runbooks attached and the drill integration and contact methods created."""
    since = history_mark(Drill, Incident, ContactMethod, Integration, RunbookAttachment)
    newest_method = _newest(ContactMethod.objects)
    newest_integration = _newest(Integration.objects)
    started = drill_services.drill_start(drill=drill.pk)
    if started is None or started.incident_id is None:
        raise RuntimeError("The demo drill did not start.")
    backdate(Drill.objects.filter(pk=drill.pk), at=at, since=since, fields=["started_at"])
    incident = Incident.objects.get(pk=started.incident_id)
    TimelineEvent.objects.filter(incident=incident).update(created_at=at)
    backdate(
        Incident.objects.filter(pk=incident.pk),
        at=at,
        since=since,
        fields=["triggered_at", "updated_at"],
    )
    Alert.objects.filter(incident=incident).update(first_seen=at, last_seen=at)
    AlertEvent.objects.filter(alert__incident=incident).update(received_at=at, processed_at=at)
    backdate(
        RunbookAttachment.objects.filter(incident=incident),
        at=at,
        since=since,
        fields=["attached_at"],
    )
    escalation_backdate(incident=incident, at=at)
    backdate(
        ContactMethod.objects.filter(pk__gt=newest_method),
        at=at,
        since=since,
        fields=["created_at"],
    )
    backdate(
        Integration.objects.filter(pk__gt=newest_integration),
        at=at,
        since=since,
        fields=["created_at"],
    )
    return incident


def _responder(demo: DemoTeam, incident: Incident):
    """Whoever the drill paged, else a member who is not the manager."""
    page = Page.objects.filter(incident=incident).select_related("user").order_by("pk").first()
    if page is not None and page.user is not None:
        return page.user
    return demo.people[1] if len(demo.people) > 1 else demo.people[0]


def _upcoming_drill(demo: DemoTeam) -> None:
    when = timezone.localtime(timezone.now() + timedelta(days=UPCOMING_IN_DAYS)).replace(
        hour=14, minute=0, second=0, microsecond=0
    )
    drill_services.drill_schedule(
        actor=_manager(demo),
        team=demo.team,
        title="Redis cache node lost",
        severity=Severity.objects.get(name="SEV2"),
        scheduled_at=when,
        scenario="A cache node disappears without warning; the services behind it must "
        "degrade gracefully while it is replaced.",
        service=_service(demo, "redis-cache") or demo.services[0],
        runbook=_runbook(demo, "Service down"),
        announced=False,
    )
