"""Reminders and time-based escalation notices, sent by the beat task.

For each open incident: a reminder when the status page has had no public update within
the severity's ``status_page_deadline`` of declaration (for incidents the page shows), a
reminder when no update was posted for the severity's ``update_cadence``, and the
escalation notices of the severity's EscalationNoticeRule rows (``after_minutes``
unresolved: the team lead, the engineering manager or an executive list; some only with
customer impact). Reminders go to the commander, else the communications lead, else the
team's managers.

Each goes out once: its e-mails are outbox messages under its key
(``communication.reminder:<incident>:<kind>:<due instant>``,
``communication.notice:<incident>:<rule>``, one message per address), written in the
transaction that decides it is due together with its Slack post and timeline event; the
outbox sends them after the commit, at least once, with a stable Message-ID. The keys
are the record: a reminder or notice is due only while no message carries its key (one
nobody could receive is still written, addressed to nobody, and cancelled by the
outbox). A cheap pre-filter finds the incidents with something due; each is then
handled under its row lock, taken with SKIP LOCKED, so concurrent runs skip each other's
incidents, and the unique key stops a second message if they ever met."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.models import User as AuthUser
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from incidents.communication.models import (
    CommunicationEventKind,
    EscalationNoticeRule,
    NoticeRecipient,
    ReminderKind,
    StatusUpdate,
    TeamCommunicationSettings,
    UpdateAudience,
)
from incidents.communication.services.channels import incident_channel_mirror
from incidents.communication.services.emails import (
    NOTICE,
    REMINDER,
    drill_mark,
    email_enqueue,
    email_keys_recorded,
    email_recorded,
    incident_group,
    notice_key,
    reminder_key,
    slack_post_key,
)
from incidents.communication.services.updates import (
    incident_customer_impact,
    incident_has_public_service,
    split_emails,
)
from incidents.links import incident_url
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


def _with_addresses(people) -> list[AuthUser]:
    """People with an e-mail address, one per address, in address order."""
    by_email: dict[str, AuthUser] = {}
    for person in people:
        if person.email:
            by_email.setdefault(person.email, person)
    return [by_email[email] for email in sorted(by_email)]


def _reminder_people(incident: Incident) -> list[AuthUser]:
    """The commander; without one, the communications lead; else the team's managers."""
    for person in (incident.commander, incident.communications_lead):
        if person is not None and person.email:
            return [person]
    return _with_addresses(team_managers(team=incident.team))


def _notice_recipients(
    incident: Incident, rule: EscalationNoticeRule
) -> tuple[list[str], list[AuthUser]]:
    """The notice's addresses, and the accounts behind them where the rule names people."""
    if rule.target == NoticeRecipient.TEAM_LEAD:
        managers = _with_addresses(team_managers(team=incident.team))
        return [m.email for m in managers], managers
    if rule.target == NoticeRecipient.ENGINEERING_MANAGER:
        row = TeamCommunicationSettings.objects.filter(team_id=incident.team_id).first()
        return split_emails(row.engineering_manager_emails if row else ""), []
    return split_emails(rule.emails), []


def _minutes(delta: timedelta) -> int:
    return int(delta.total_seconds() // 60)


# --- which incidents have something due (no locks) -------------------------------------


def communications_due_incident_ids(*, now: datetime | None = None) -> list[int]:
    """Open incidents for which a reminder or notice may be due now: a cheap pre-filter
    (three queries, no locks) so that the per-incident locked pass only visits incidents
    with something to send. It errs on the side of including an incident; the locked
    pass decides."""
    now = now or timezone.now()
    candidates = _candidate_rows()
    sent = email_keys_recorded(
        incident_ids=[row["pk"] for row in candidates], purposes=[REMINDER, NOTICE]
    )
    rules: dict[int, list[tuple[int, int, bool]]] = {}
    for rule_id, severity_id, after, needs_impact in EscalationNoticeRule.objects.filter(
        active=True
    ).values_list("pk", "severity_id", "after_minutes", "requires_customer_impact"):
        rules.setdefault(severity_id, []).append((rule_id, after, needs_impact))
    return sorted(
        row["pk"]
        for row in candidates
        if _deadline_due(row, now, sent)
        or _cadence_due(row, now, sent)
        or _notice_due(row, now, sent, rules.get(row["severity_id"], []))
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


def _deadline_due(row: dict[str, Any], now: datetime, sent: set[str]) -> bool:
    deadline = row["severity__status_page_deadline"]
    if deadline is None or row["private"] or not row["has_public_service"]:
        return False
    at = row["triggered_at"] + deadline
    first_public = row["first_public_update_at"]
    return (
        at <= now
        and (first_public is None or first_public > at)
        and reminder_key(row["pk"], ReminderKind.STATUS_PAGE_DEADLINE, at) not in sent
    )


def _cadence_due(row: dict[str, Any], now: datetime, sent: set[str]) -> bool:
    cadence = row["severity__update_cadence"]
    if cadence is None:
        return False
    at = (row["last_update_at"] or row["triggered_at"]) + cadence
    return at <= now and reminder_key(row["pk"], ReminderKind.UPDATE_CADENCE, at) not in sent


def _notice_due(
    row: dict[str, Any],
    now: datetime,
    sent: set[str],
    rules: list[tuple[int, int, bool]],
) -> bool:
    impact = row["communication__customer_impact"]
    if impact is None:
        impact = bool((row["impact"] or "").strip())
    return any(
        row["triggered_at"] + timedelta(minutes=after) <= now
        and (impact or not needs_impact)
        and notice_key(row["pk"], rule_id) not in sent
        for rule_id, after, needs_impact in rules
    )


# --- sending what is due, one incident at a time (locked) ------------------------------


def communications_remind_incident(
    *, incident_id: int, now: datetime | None = None
) -> ReminderResult:
    """Send what is due for one incident, each reminder or notice once. The incident row
    is locked with SKIP LOCKED so a concurrent run skips it; what is due is decided by
    the outbox keys, and written under them."""
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


def _reminder_send(
    incident: Incident, *, key: str, people: list, subject: str, ask: str, slack: str
) -> list[str]:
    """Write one reminder: an email to ``people`` (recorded even with nobody to send to,
    so it is not asked again) and its line in the incident's Slack channel, both under
    ``key``. Returns the addresses reminded."""
    recipients = [p.email for p in people]
    email_enqueue(
        key=key,
        purpose=REMINDER,
        addresses=recipients,
        people=people,
        subject=f"{drill_mark(incident)}[{incident.reference}] {subject}",
        text=f"{incident.reference} ({incident.severity.name}) {incident.title}\n\n"
        f"{ask}: {incident_url(incident.pk)}#share-update",
        group=incident_group(incident.pk),
        record_when_nobody=True,
    )
    incident_channel_mirror(incident=incident, text=slack, key=slack_post_key(key))
    return recipients


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
    key = reminder_key(incident.pk, ReminderKind.STATUS_PAGE_DEADLINE, due)
    if email_recorded(key):
        return 0
    people = [] if public.exists() else _reminder_people(incident)
    recipients = _reminder_send(
        incident,
        key=key,
        people=people,
        subject="Post a public status update now",
        ask=f"The status page should have been updated within {_minutes(deadline)} "
        "minutes of declaration. Post a public update",
        slack=f"reminder: no public status update within {_minutes(deadline)} "
        "minutes; post one now.",
    )
    timeline_event_create(
        incident=incident,
        kind=K.STATUS_PAGE_DEADLINE_MISSED,
        message=f"No public status update within {_minutes(deadline)} minutes "
        f"of declaration" + (f"; reminded {', '.join(recipients)}" if recipients else ""),
        data={"due_at": due.isoformat(), "recipients": recipients},
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
    key = reminder_key(incident.pk, ReminderKind.UPDATE_CADENCE, due)
    if email_recorded(key):
        return 0
    recipients = _reminder_send(
        incident,
        key=key,
        people=_reminder_people(incident),
        subject="Stakeholder update due",
        ask=f"Stakeholders expect an update every {_minutes(cadence)} minutes until it "
        "is resolved. Post one",
        slack=f"reminder: stakeholder update due (every {_minutes(cadence)} min).",
    )
    timeline_event_create(
        incident=incident,
        kind=K.UPDATE_REMINDER,
        message=f"No update for {_minutes(now - (last or incident.triggered_at))}"
        f" minutes (cadence {_minutes(cadence)} min); reminded "
        + (", ".join(recipients) or "nobody (no address)"),
        data={"due_at": due.isoformat(), "recipients": recipients},
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
        key = notice_key(incident.pk, rule.pk)
        if email_recorded(key):
            continue
        sent += 1
        _notice_send(incident, rule, key)
    return sent


def _notice_send(incident: Incident, rule: EscalationNoticeRule, key: str) -> None:
    """A notice that is due: to the recipients' mailboxes and the Slack channel (both
    after commit, through the outbox) and to the timeline."""
    severity = incident.severity
    recipients, people = _notice_recipients(incident, rule)
    email_enqueue(
        key=key,
        purpose=NOTICE,
        addresses=recipients,
        people=people,
        subject=f"{drill_mark(incident)}[{incident.reference}] {severity.name} unresolved after "
        f"{rule.after_minutes} minutes",
        text=f"{incident.reference} ({severity.name}) {incident.title}\n"
        f"Status: {incident.get_status_display()}\n"
        f"Declared: {incident.triggered_at:%Y-%m-%d %H:%M %Z}\n"
        f"Commander: {incident.commander.get_username() if incident.commander else 'none'}\n"
        f"Impact: {incident.impact or '-'}\n\n" + incident_url(incident.pk),
        group=incident_group(incident.pk),
        record_when_nobody=True,
    )
    incident_channel_mirror(
        incident=incident,
        text=f"unresolved after {rule.after_minutes} minutes: notified "
        f"{rule.get_target_display()}.",
        key=slack_post_key(key),
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


def communications_remind(*, now: datetime | None = None) -> ReminderResult:
    """Beat: every reminder and notice due now, incident by incident."""
    total = ReminderResult()
    for incident_id in communications_due_incident_ids(now=now):
        one = communications_remind_incident(incident_id=incident_id, now=now)
        total.deadline_missed += one.deadline_missed
        total.cadence_reminders += one.cadence_reminders
        total.escalation_notices += one.escalation_notices
    return total
