"""Reads for drills, scoped by team: the list, one drill, and its report (the moments of
its incident, measured by ``scoring``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import User as AuthUser
from django.db.models import QuerySet

from common.errors import NotFound
from incidents.communication.models import UpdateAudience
from incidents.models import IncidentStatus, TimelineEventKind
from oncall.teams.selectors import team_scoped
from readiness.drills import scoring
from readiness.drills.models import Drill, DrillFinding, DrillStatus
from runbooks.models import RunbookAttachment
from runbooks.services import RUNBOOK_OPENED


def drill_list(*, user: AuthUser, team_id: Any = None) -> QuerySet[Drill]:
    qs = team_scoped(Drill.objects.all(), user=user).select_related(
        "team", "service", "severity", "incident__team", "runbook"
    )
    if team_id not in (None, ""):
        raw = str(team_id)
        qs = qs.filter(team_id=int(raw)) if raw.isdigit() and len(raw) <= 18 else qs.none()
    return qs.order_by("-scheduled_at", "-id")


def drill_get(*, user: AuthUser, drill_id: Any) -> Drill:
    """A drill of one of the user's teams; another team's is "not found"."""
    try:
        return drill_list(user=user).get(pk=int(drill_id))
    except (Drill.DoesNotExist, TypeError, ValueError, OverflowError):
        raise NotFound("Drill not found.") from None


def drill_finding_get(*, drill: Drill, finding_id: Any) -> DrillFinding:
    """A finding of ``drill`` (already scoped to the reader's teams); else "not found"."""
    try:
        return DrillFinding.objects.get(drill=drill, pk=int(finding_id))
    except (DrillFinding.DoesNotExist, TypeError, ValueError, OverflowError):
        raise NotFound("Finding not found.") from None


@dataclass(frozen=True)
class DrillReport:
    drill: Drill
    measures: list[scoring.Measure]
    findings: list[DrillFinding]
    proposed: list[scoring.ProposedFinding]  # what the findings would be if it ended now

    @property
    def missed(self) -> int:
        return sum(1 for m in self.measures if m.met is False)


def _facts(drill: Drill, finished: bool) -> scoring.DrillFacts | None:
    incident = drill.incident
    if incident is None:
        return None
    severity = incident.severity
    events = list(
        incident.timeline.filter(
            kind__in=[TimelineEventKind.STATUS_UPDATE, TimelineEventKind.RUNBOOK_ATTACHED]
        )
        .order_by("created_at", "id")
        .values_list("kind", "created_at", "data")
    )
    # The first update shared beyond the team (stakeholders or the status page); an
    # internal update is a note to the responders.
    first_update = next(
        (
            at
            for kind, at, data in events
            if kind == TimelineEventKind.STATUS_UPDATE
            and (data or {}).get("audience") != UpdateAudience.INTERNAL
        ),
        None,
    )
    attached = list(
        RunbookAttachment.objects.filter(incident=incident)
        .select_related("runbook")
        .order_by("-score", "attached_at", "id")
    )
    by_runbook = {a.runbook_id: a.runbook for a in attached}
    if drill.runbook_id is not None:
        matched = [drill.runbook_id] if drill.runbook_id in by_runbook else []
    else:
        matched = [a.runbook_id for a in attached]
    opened = [
        at
        for kind, at, data in events
        if kind == TimelineEventKind.RUNBOOK_ATTACHED
        and (data or {}).get("event") == RUNBOOK_OPENED
        and (data or {}).get("runbook") in matched
    ]
    return scoring.DrillFacts(
        triggered_at=incident.triggered_at,
        acknowledged_at=incident.acknowledged_at,
        first_update_at=first_update,
        resolved_at=incident.resolved_at,
        ack_target=severity.ack_target,
        resolve_target=severity.resolve_target,
        update_target=severity.status_page_deadline or severity.update_cadence,
        runbook_title=by_runbook[matched[0]].title if matched else None,
        runbook_wanted=drill.runbook.title if drill.runbook is not None else None,
        runbook_opened_at=opened[0] if opened else None,
        finished=finished or incident.status == IncidentStatus.RESOLVED,
    )


def drill_report(*, drill: Drill, finished: bool | None = None) -> DrillReport:
    """The drill's measures against its severity's targets and its findings (stored once
    it completed; proposed from the measures while it runs)."""
    if finished is None:
        finished = drill.status == DrillStatus.COMPLETED
    facts = _facts(drill, finished)
    measures = scoring.drill_measures(facts) if facts is not None else []
    return DrillReport(
        drill=drill,
        measures=measures,
        findings=list(drill.findings.select_related("action_item__owner").order_by("id")),
        proposed=scoring.drill_findings(measures),
    )
