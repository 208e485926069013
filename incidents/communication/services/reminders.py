"""Reminders and time-based escalation notices, sent by the beat task.

For each open incident: a reminder when the status page has had no public update within
the severity's ``status_page_deadline`` of declaration (for incidents the page shows), a
reminder when no update was posted for the severity's ``update_cadence``, and the
escalation notices of the severity's EscalationNoticeRule rows (``after_minutes``
unresolved: the team lead, the engineering manager or an executive list; some only with
customer impact). Reminders go to the commander, else the communications lead, else the
team's managers.

Each is sent once: recorded first under a unique constraint (CommunicationReminder,
EscalationNoticeSent), then mirrored to the Slack channel, written to the timeline and
e-mailed after commit. A cheap pre-filter finds the incidents with something due; each
is then handled under its row lock, taken with SKIP LOCKED, so concurrent runs skip each
other's incidents and never send twice."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from incidents.communication.models import (
    CommunicationEventKind,
    CommunicationReminder,
    EscalationNoticeRule,
    EscalationNoticeSent,
    NoticeRecipient,
    ReminderKind,
    StatusUpdate,
    TeamCommunicationSettings,
    UpdateAudience,
)
from incidents.communication.services.channels import incident_channel_mirror
from incidents.communication.services.updates import (
    incident_customer_impact,
    incident_has_public_service,
    split_emails,
)
from incidents.communication.tasks import email_later
from incidents.models import OPEN_STATUSES, Incident, Service
from incidents.services import timeline_event_create
from oncall.teams.selectors import team_managers

K = CommunicationEventKind


@dataclass
class ReminderResult:
    """How many of each were sent."""

    deadline_missed: int = 0
    cadence_reminders: int = 0
    escalation_notices: int = 0


def _reminder_recipients(incident: Incident) -> list[str]:
    """The commander; without one, the communications lead; else the team's managers."""
    for person in (incident.commander, incident.communications_lead):
        if person is not None and person.email:
            return [person.email]
    return sorted({u.email for u in team_managers(team=incident.team) if u.email})


def _notice_recipients(incident: Incident, rule: EscalationNoticeRule) -> list[str]:
    if rule.target == NoticeRecipient.TEAM_LEAD:
        return sorted({u.email for u in team_managers(team=incident.team) if u.email})
    if rule.target == NoticeRecipient.ENGINEERING_MANAGER:
        row = TeamCommunicationSettings.objects.filter(team_id=incident.team_id).first()
        return split_emails(row.engineering_manager_emails if row else "")
    return split_emails(rule.emails)


def _record_once(model, **fields) -> bool:
    """Create the sent-record; False if it exists (sent earlier or concurrently)."""
    try:
        with transaction.atomic():
            model.objects.create(**fields)
    except IntegrityError:
        return False
    return True


def _minutes(delta: timedelta) -> int:
    return int(delta.total_seconds() // 60)


# --- which incidents have something due (no locks) -------------------------------------


def communications_due_incident_ids(*, now: datetime | None = None) -> list[int]:
    """Open incidents for which a reminder or notice may be due now: a cheap pre-filter
    (four queries, no locks) so that the per-incident locked pass only visits incidents
    with something to send. It errs on the side of including an incident; the locked
    pass decides."""
    now = now or timezone.now()
    candidates = _candidate_rows()
    ids = [row["pk"] for row in candidates]
    reminded = set(
        CommunicationReminder.objects.filter(incident_id__in=ids).values_list(
            "incident_id", "kind", "due_at"
        )
    )
    notified = set(
        EscalationNoticeSent.objects.filter(incident_id__in=ids).values_list(
            "incident_id", "rule_id"
        )
    )
    rules: dict[int, list[tuple[int, int, bool]]] = {}
    for rule_id, severity_id, after, needs_impact in EscalationNoticeRule.objects.filter(
        active=True
    ).values_list("pk", "severity_id", "after_minutes", "requires_customer_impact"):
        rules.setdefault(severity_id, []).append((rule_id, after, needs_impact))
    return sorted(
        row["pk"]
        for row in candidates
        if _deadline_due(row, now, reminded)
        or _cadence_due(row, now, reminded)
        or _notice_due(row, now, notified, rules.get(row["severity_id"], []))
    )


def _candidate_rows() -> list[Any]:
    """The open incidents whose severity has a deadline, a cadence or an active notice
    rule, with what deciding needs (one query)."""
    updates = StatusUpdate.objects.filter(incident=OuterRef("pk"))
    return list(
        Incident.objects.filter(status__in=OPEN_STATUSES)
        .filter(
            Q(severity__status_page_deadline__isnull=False)
            | Q(severity__update_cadence__isnull=False)
            | Exists(
                EscalationNoticeRule.objects.filter(severity=OuterRef("severity"), active=True)
            )
        )
        .annotate(
            last_update_at=Subquery(updates.order_by("-created_at").values("created_at")[:1]),
            first_public_update_at=Subquery(
                updates.filter(audience=UpdateAudience.PUBLIC)
                .order_by("created_at")
                .values("created_at")[:1]
            ),
            has_public_service=Exists(
                Service.objects.filter(incidents=OuterRef("pk"), public=True)
            ),
        )
        .values(
            "pk",
            "triggered_at",
            "private",
            "severity_id",
            "severity__status_page_deadline",
            "severity__update_cadence",
            "last_update_at",
            "first_public_update_at",
            "has_public_service",
            "impact",
            "communication__customer_impact",
        )
    )


def _deadline_due(row: dict[str, Any], now: datetime, reminded: set[tuple]) -> bool:
    deadline = row["severity__status_page_deadline"]
    if deadline is None or row["private"] or not row["has_public_service"]:
        return False
    at = row["triggered_at"] + deadline
    first_public = row["first_public_update_at"]
    return (
        at <= now
        and (first_public is None or first_public > at)
        and (row["pk"], ReminderKind.STATUS_PAGE_DEADLINE, at) not in reminded
    )


def _cadence_due(row: dict[str, Any], now: datetime, reminded: set[tuple]) -> bool:
    cadence = row["severity__update_cadence"]
    if cadence is None:
        return False
    at = (row["last_update_at"] or row["triggered_at"]) + cadence
    return at <= now and (row["pk"], ReminderKind.UPDATE_CADENCE, at) not in reminded


def _notice_due(
    row: dict[str, Any],
    now: datetime,
    notified: set[tuple],
    rules: list[tuple[int, int, bool]],
) -> bool:
    impact = row["communication__customer_impact"]
    if impact is None:
        impact = bool((row["impact"] or "").strip())
    return any(
        row["triggered_at"] + timedelta(minutes=after) <= now
        and (impact or not needs_impact)
        and (row["pk"], rule_id) not in notified
        for rule_id, after, needs_impact in rules
    )


# --- sending what is due, one incident at a time (locked) ------------------------------


def communications_remind_incident(
    *, incident_id: int, now: datetime | None = None
) -> ReminderResult:
    """Send what is due for one incident, each reminder or notice exactly once. The
    incident row is locked with SKIP LOCKED so a concurrent run skips it, and every
    sending is recorded under a unique constraint first."""
    result = ReminderResult()
    with transaction.atomic():
        incident = (
            Incident.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("team", "severity", "commander", "communications_lead")
            .filter(pk=incident_id, status__in=OPEN_STATUSES)
            .first()
        )
        if incident is None:
            return result
        now = now or timezone.now()
        updates = StatusUpdate.objects.filter(incident=incident)
        result.deadline_missed = _remind_status_page_deadline(incident, updates, now)
        result.cadence_reminders = _remind_update_cadence(incident, updates, now)
        result.escalation_notices = _send_notices(incident, now)
    return result


def _remind_status_page_deadline(
    incident: Incident, updates: QuerySet[StatusUpdate], now: datetime
) -> int:
    """Status page deadline (SEV1/SEV2: 5 min) for incidents the page would show: 1 if
    the reminder was sent now."""
    severity = incident.severity
    deadline = severity.status_page_deadline
    if (
        deadline is None
        or incident.private
        or incident.triggered_at + deadline > now
        or not incident_has_public_service(incident)
    ):
        return 0
    due = incident.triggered_at + deadline
    public = updates.filter(audience=UpdateAudience.PUBLIC)
    if public.filter(created_at__lte=due).exists():
        return 0
    recipients = [] if public.exists() else _reminder_recipients(incident)
    if not _record_once(
        CommunicationReminder,
        incident=incident,
        kind=ReminderKind.STATUS_PAGE_DEADLINE,
        due_at=due,
        recipients=recipients,
        sent_at=now,
    ):
        return 0
    incident_channel_mirror(
        incident=incident,
        text=f"reminder: no public status update within {_minutes(deadline)} "
        "minutes; post one now.",
    )
    timeline_event_create(
        incident=incident,
        kind=K.STATUS_PAGE_DEADLINE_MISSED,
        message=f"No public status update within {_minutes(deadline)} minutes "
        f"of declaration" + (f"; reminded {', '.join(recipients)}" if recipients else ""),
        data={"due_at": due.isoformat(), "recipients": recipients},
    )
    if recipients:
        email_later(
            subject=f"[{incident.reference}] Post a public status update now",
            body=f"{incident.reference} ({severity.name}) {incident.title}\n\n"
            f"The status page should have been updated within "
            f"{_minutes(deadline)} minutes of declaration. Post a public "
            f"update: {settings.SITE_URL}/api/v1/incidents/{incident.pk}/updates/",
            recipients=recipients,
        )
    return 1


def _remind_update_cadence(
    incident: Incident, updates: QuerySet[StatusUpdate], now: datetime
) -> int:
    """Update cadence (every 15 min while open), counted from the last update: 1 if the
    reminder was sent now."""
    severity = incident.severity
    cadence = severity.update_cadence
    if cadence is None:
        return 0
    last = updates.order_by("-created_at").values_list("created_at", flat=True).first()
    due = (last or incident.triggered_at) + cadence
    if due > now:
        return 0
    recipients = _reminder_recipients(incident)
    if not _record_once(
        CommunicationReminder,
        incident=incident,
        kind=ReminderKind.UPDATE_CADENCE,
        due_at=due,
        recipients=recipients,
        sent_at=now,
    ):
        return 0
    incident_channel_mirror(
        incident=incident,
        text=f"reminder: stakeholder update due (every {_minutes(cadence)} min).",
    )
    timeline_event_create(
        incident=incident,
        kind=K.UPDATE_REMINDER,
        message=f"No update for {_minutes(now - (last or incident.triggered_at))}"
        f" minutes (cadence {_minutes(cadence)} min); reminded "
        + (", ".join(recipients) or "nobody (no address)"),
        data={"due_at": due.isoformat(), "recipients": recipients},
    )
    if recipients:
        email_later(
            subject=f"[{incident.reference}] Stakeholder update due",
            body=f"{incident.reference} ({severity.name}) {incident.title}\n\n"
            f"Stakeholders expect an update every {_minutes(cadence)} minutes "
            f"until it is resolved. Post one: "
            f"{settings.SITE_URL}/api/v1/incidents/{incident.pk}/updates/",
            recipients=recipients,
        )
    return 1


def _send_notices(incident: Incident, now: datetime) -> int:
    """The escalation notices of the incident's severity that are due and not sent yet;
    returns how many were sent now."""
    rules = EscalationNoticeRule.objects.filter(severity=incident.severity, active=True).order_by(
        "after_minutes", "pk"
    )
    impact: bool | None = None
    sent = 0
    for rule in rules:
        if incident.triggered_at + timedelta(minutes=rule.after_minutes) > now:
            continue
        if rule.requires_customer_impact:
            if impact is None:
                impact = incident_customer_impact(incident)
            if not impact:
                continue
        recipients = _notice_recipients(incident, rule)
        if not _record_once(
            EscalationNoticeSent,
            incident=incident,
            rule=rule,
            recipients=recipients,
            sent_at=now,
        ):
            continue
        sent += 1
        _notice_announce(incident, rule, recipients)
    return sent


def _notice_announce(incident: Incident, rule: EscalationNoticeRule, recipients: list[str]) -> None:
    """A notice just recorded: to the Slack channel, the timeline and, after commit, the
    recipients' mailboxes."""
    severity = incident.severity
    incident_channel_mirror(
        incident=incident,
        text=f"unresolved after {rule.after_minutes} minutes: notified "
        f"{rule.get_target_display()}.",
    )
    target = rule.get_target_display()
    timeline_event_create(
        incident=incident,
        kind=K.ESCALATION_NOTICE,
        message=f"Unresolved after {rule.after_minutes} minutes: notified {target}"
        + (f" ({', '.join(recipients)})" if recipients else " (no addresses configured)"),
        data={
            "rule": rule.pk,
            "target": rule.target,
            "after_minutes": rule.after_minutes,
            "recipients": recipients,
        },
    )
    if recipients:
        email_later(
            subject=f"[{incident.reference}] {severity.name} unresolved after "
            f"{rule.after_minutes} minutes",
            body=f"{incident.reference} ({severity.name}) {incident.title}\n"
            f"Status: {incident.get_status_display()}\n"
            f"Declared: {incident.triggered_at:%Y-%m-%d %H:%M %Z}\n"
            f"Commander: {incident.commander.get_username() if incident.commander else 'none'}\n"
            f"Impact: {incident.impact or '-'}\n\n"
            f"{settings.SITE_URL}/api/v1/incidents/{incident.pk}/",
            recipients=recipients,
        )


def communications_remind(*, now: datetime | None = None) -> ReminderResult:
    """Beat: every reminder and notice due now, incident by incident."""
    total = ReminderResult()
    for incident_id in communications_due_incident_ids(now=now):
        one = communications_remind_incident(incident_id=incident_id, now=now)
        total.deadline_missed += one.deadline_missed
        total.cadence_reminders += one.cadence_reminders
        total.escalation_notices += one.escalation_notices
    return total
