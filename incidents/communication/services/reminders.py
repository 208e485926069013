"""Writes for incident communication: status updates, the status-page override, the
reminders and time-based escalation notices of the beat task, and the Slack channel.

Like incidents.services, every write that changes what an incident says locks the
incident row and appends a timeline event; outside effects (e-mail, Slack) are queued
with ``transaction.on_commit`` as Celery tasks that take ids."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q, Subquery
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


# --- reminders and time-based escalation (beat) ---------------------------------------


@dataclass
class ReminderResult:
    deadline_missed: int = 0
    cadence_reminders: int = 0
    escalation_notices: int = 0


def _reminder_recipients(incident: Incident) -> list[str]:
    """The commander; without one, the communications lead; else the team's managers."""
    for person in (incident.commander, incident.communications_lead):
        if person is not None and person.email:
            return [person.email]
    return sorted({u.email for u in team_managers(team=incident.team) if u.email})


def _escalation_recipients(incident: Incident, rule: EscalationNoticeRule) -> list[str]:
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


def communications_due_incident_ids(*, now: datetime | None = None) -> list[int]:
    """Open incidents for which a reminder or notice may be due now: a cheap pre-filter
    (four queries, no locks) so that the per-incident locked pass only visits incidents
    with something to send. It errs on the side of including an incident; the locked
    pass decides."""
    now = now or timezone.now()
    updates = StatusUpdate.objects.filter(incident=OuterRef("pk"))
    candidates = list(
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

    due_ids = []
    for row in candidates:
        pk, started = row["pk"], row["triggered_at"]
        deadline = row["severity__status_page_deadline"]
        cadence = row["severity__update_cadence"]
        due = False
        if deadline is not None and not row["private"] and row["has_public_service"]:
            at = started + deadline
            first_public = row["first_public_update_at"]
            due |= (
                at <= now
                and (first_public is None or first_public > at)
                and (pk, ReminderKind.STATUS_PAGE_DEADLINE, at) not in reminded
            )
        if cadence is not None:
            at = (row["last_update_at"] or started) + cadence
            due |= at <= now and (pk, ReminderKind.UPDATE_CADENCE, at) not in reminded
        impact = row["communication__customer_impact"]
        if impact is None:
            impact = bool((row["impact"] or "").strip())
        for rule_id, after, needs_impact in rules.get(row["severity_id"], []):
            due |= (
                started + timedelta(minutes=after) <= now
                and (impact or not needs_impact)
                and (pk, rule_id) not in notified
            )
        if due:
            due_ids.append(pk)
    return sorted(due_ids)


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
        severity = incident.severity
        updates = StatusUpdate.objects.filter(incident=incident)

        # 1. Status page deadline (SEV1/SEV2: 5 min) for incidents the page would show.
        deadline = severity.status_page_deadline
        if (
            deadline is not None
            and not incident.private
            and incident.triggered_at + deadline <= now
            and incident_has_public_service(incident)
        ):
            due = incident.triggered_at + deadline
            public = updates.filter(audience=UpdateAudience.PUBLIC)
            if not public.filter(created_at__lte=due).exists():
                recipients = [] if public.exists() else _reminder_recipients(incident)
                if _record_once(
                    CommunicationReminder,
                    incident=incident,
                    kind=ReminderKind.STATUS_PAGE_DEADLINE,
                    due_at=due,
                    recipients=recipients,
                    sent_at=now,
                ):
                    result.deadline_missed += 1
                    incident_channel_mirror(
                        incident=incident,
                        text=f"reminder: no public status update within {_minutes(deadline)} "
                        "minutes; post one now.",
                    )
                    timeline_event_create(
                        incident=incident,
                        kind=K.STATUS_PAGE_DEADLINE_MISSED,
                        message=f"No public status update within {_minutes(deadline)} minutes "
                        f"of declaration"
                        + (f"; reminded {', '.join(recipients)}" if recipients else ""),
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

        # 2. Update cadence (every 15 min while open), counted from the last update.
        cadence = severity.update_cadence
        if cadence is not None:
            last = updates.order_by("-created_at").values_list("created_at", flat=True).first()
            due = (last or incident.triggered_at) + cadence
            if due <= now:
                recipients = _reminder_recipients(incident)
                if _record_once(
                    CommunicationReminder,
                    incident=incident,
                    kind=ReminderKind.UPDATE_CADENCE,
                    due_at=due,
                    recipients=recipients,
                    sent_at=now,
                ):
                    result.cadence_reminders += 1
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

        # 3. Time-based escalation notices.
        rules = EscalationNoticeRule.objects.filter(severity=severity, active=True).order_by(
            "after_minutes", "pk"
        )
        impact: bool | None = None
        for rule in rules:
            if incident.triggered_at + timedelta(minutes=rule.after_minutes) > now:
                continue
            if rule.requires_customer_impact:
                if impact is None:
                    impact = incident_customer_impact(incident)
                if not impact:
                    continue
            recipients = _escalation_recipients(incident, rule)
            if not _record_once(
                EscalationNoticeSent,
                incident=incident,
                rule=rule,
                recipients=recipients,
                sent_at=now,
            ):
                continue
            result.escalation_notices += 1
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
    return result


def communications_remind(*, now: datetime | None = None) -> ReminderResult:
    total = ReminderResult()
    for incident_id in communications_due_incident_ids(now=now):
        one = communications_remind_incident(incident_id=incident_id, now=now)
        total.deadline_missed += one.deadline_missed
        total.cadence_reminders += one.cadence_reminders
        total.escalation_notices += one.escalation_notices
    return total
