"""Writes for incident communication: status updates, the status-page override, the
reminders and time-based escalation notices of the beat task, and the Slack channel.

Like incidents.services, every write that changes what an incident says locks the
incident row and appends a timeline event; outside effects (e-mail, Slack) are queued
with ``transaction.on_commit`` as Celery tasks that take ids."""

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q, Subquery
from django.utils import timezone

from config.errors import InvalidInput
from config.history import attribute_history
from incidents.integrations import slack
from incidents.models import (
    OPEN_STATUSES,
    CommunicationEventKind,
    CommunicationReminder,
    EscalationNoticeRule,
    EscalationNoticeSent,
    EscalationTarget,
    Incident,
    IncidentChannel,
    IncidentChannelState,
    IncidentCommunication,
    Page,
    ReminderKind,
    Service,
    StatusPageState,
    StatusUpdate,
    TeamCommunicationSettings,
    UpdateAudience,
)
from incidents.services import incident_lock, timeline_event_create
from incidents.tasks_communication import (
    email_later,
    slack_invite_later,
    slack_open_later,
    slack_post_later,
)
from oncall.selectors import team_managers
from oncall.services import team_require_member

K = CommunicationEventKind


def split_emails(text: str) -> list[str]:
    return sorted({part for part in re.split(r"[\s,;]+", text or "") if "@" in part})


def _stakeholder_emails(team_id: int) -> list[str]:
    settings_row = TeamCommunicationSettings.objects.filter(team_id=team_id).first()
    return split_emails(settings_row.stakeholder_emails) if settings_row else []


def incident_has_public_service(incident: Incident) -> bool:
    return incident.services.filter(public=True).exists()


# --- status updates -------------------------------------------------------------------


@transaction.atomic
def status_update_post(
    *,
    incident: Incident | int,
    actor: AbstractBaseUser | None,
    message: str,
    audience: str = UpdateAudience.INTERNAL,
) -> StatusUpdate:
    """Post an update. A public update of a non-private incident appears on the status
    page and is e-mailed to the team's stakeholder list; every update is mirrored into
    the incident's Slack channel and restarts the update-cadence clock."""
    message = (message or "").strip()
    if not message:
        raise InvalidInput("An update needs a message.", errors={"message": ["Required."]})
    if audience not in UpdateAudience.values:
        raise InvalidInput(
            f"Unknown audience {audience!r}.",
            errors={"audience": [f"Choose one of {', '.join(UpdateAudience.values)}."]},
        )
    locked = incident_lock(incident)
    team_require_member(actor=actor, team=locked.team)
    update = StatusUpdate.objects.create(
        incident=locked,
        message=message,
        status=locked.status,
        audience=audience,
        author=actor if actor is not None and actor.is_authenticated else None,
        created_at=timezone.now(),
    )
    timeline_event_create(
        incident=locked,
        kind=K.STATUS_UPDATE,
        actor=actor,
        message=message,
        data={"update": update.pk, "audience": audience, "status": locked.status},
    )
    if audience == UpdateAudience.PUBLIC and not locked.private:
        recipients = _stakeholder_emails(locked.team_id)
        if recipients:
            email_later(
                subject=f"[{locked.reference}] {locked.title}: {locked.get_status_display()}",
                body=f"{message}\n\nStatus: {locked.get_status_display()}\n"
                f"Severity: {locked.severity.name}\n"
                f"{settings.SITE_URL}/status/",
                recipients=recipients,
            )
            timeline_event_create(
                incident=locked,
                kind=K.STAKEHOLDERS_NOTIFIED,
                message=f"Update e-mailed to {len(recipients)} stakeholder(s)",
                data={"update": update.pk, "recipients": len(recipients)},
            )
    label = "Public update" if audience == UpdateAudience.PUBLIC else "Internal update"
    incident_channel_mirror(incident=locked, text=f"{label} ({locked.status}): {message}")
    return update


@transaction.atomic
def incident_communication_set(
    *,
    incident: Incident | int,
    actor: AbstractBaseUser | None,
    **fields: Any,
) -> IncidentCommunication:
    """Set the status-page state override, the public title or the customer-impact flag
    of an incident."""
    allowed = {"status_page_state", "public_title", "customer_impact"}
    unknown = sorted(set(fields) - allowed)
    if unknown:
        raise InvalidInput(
            "These fields cannot be changed.", errors={n: ["Not editable."] for n in unknown}
        )
    state = fields.get("status_page_state")
    if state and state not in StatusPageState.values:
        raise InvalidInput(
            f"Unknown state {state!r}.",
            errors={"status_page_state": [f"Choose one of {', '.join(StatusPageState.values)}."]},
        )
    locked = incident_lock(incident)
    team_require_member(actor=actor, team=locked.team)
    comm, _ = IncidentCommunication.objects.get_or_create(incident=locked)
    changes = {
        name: [getattr(comm, name), value]
        for name, value in fields.items()
        if getattr(comm, name) != value
    }
    if changes:
        for name, (_, value) in changes.items():
            setattr(comm, name, value)
        attribute_history(comm, actor).save(update_fields=list(changes))
        timeline_event_create(
            incident=locked,
            kind=K.STATUS_PAGE_STATE,
            actor=actor,
            message="Status page: " + ", ".join(f"{k} → {v[1]!r}" for k, v in changes.items()),
            data={"changes": changes},
        )
    return comm


def incident_customer_impact(incident: Incident) -> bool:
    comm = IncidentCommunication.objects.filter(incident=incident).first()
    if comm is not None and comm.customer_impact is not None:
        return comm.customer_impact
    return bool(incident.impact.strip())


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
    if rule.target == EscalationTarget.TEAM_LEAD:
        return sorted({u.email for u in team_managers(team=incident.team) if u.email})
    if rule.target == EscalationTarget.ENGINEERING_MANAGER:
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


# --- Slack incident channel -----------------------------------------------------------


def incident_channel_wanted(incident: Incident) -> bool:
    return (
        slack.enabled() and incident.severity.level <= settings.INCIDENT_CHANNEL_MAX_SEVERITY_LEVEL
    )


def incident_channel_request(*, incident: Incident) -> IncidentChannel | None:
    """Inside the declaring (or escalating) transaction: reserve the channel row and
    create the Slack channel after commit."""
    if not incident_channel_wanted(incident):
        return None
    channel, created = IncidentChannel.objects.get_or_create(
        incident=incident,
        defaults={
            "name": slack.channel_name(
                number=incident.number, team_key=incident.team.key, title=incident.title
            ),
            "created_at": timezone.now(),
        },
    )
    if created:
        slack_open_later(incident_id=incident.pk)
    return channel


def incident_channel_mirror(*, incident: Incident, text: str) -> None:
    """Queue a message for the incident's channel (after commit), if it has one."""
    if not slack.enabled():
        return
    channel = IncidentChannel.objects.filter(incident=incident).only("state").first()
    if channel is None or channel.state == IncidentChannelState.FAILED:
        return
    slack_post_later(incident_id=incident.pk, text=f"{incident.reference}: {text}")


class ChannelNotReady(slack.SlackError):
    """The channel is still being created: retry the post later."""


def incident_channel_open(*, incident_id: int) -> IncidentChannel | None:
    """Create the Slack channel, invite the incident's people, post the declaration.
    Runs in a task, outside any transaction; each step is saved as soon as it is done so
    a retry resumes instead of creating a second channel."""
    channel = (
        IncidentChannel.objects.select_related("incident__team", "incident__severity")
        .filter(incident_id=incident_id)
        .first()
    )
    if channel is None or channel.state != IncidentChannelState.PENDING:
        return channel
    incident = channel.incident
    if not channel.channel_id:
        # A private incident gets a private channel.
        channel.channel_id = slack.create_channel(channel.name, private=incident.private)
        channel.save(update_fields=["channel_id"])
    people = [p for p in (incident.commander, incident.scribe, incident.communications_lead) if p]
    # ...and the responders paged so far (at declaration the first step pages before this
    # channel row exists, so its invitation is made here).
    emails = {p.email for p in people if p.email}
    emails.update(
        Page.objects.filter(incident=incident, user__is_active=True)
        .exclude(user__email="")
        .values_list("user__email", flat=True)
        .distinct()
    )
    user_ids = sorted({uid for email in sorted(emails) if (uid := slack.find_user_id(email))})
    slack.invite(channel.channel_id, user_ids)
    slack.post(
        channel.channel_id,
        f"{incident.reference} declared as {incident.severity.name}: {incident.title}\n"
        f"Status: {incident.get_status_display()}. "
        f"Commander: {incident.commander.get_username() if incident.commander else 'unassigned'}.\n"
        f"{settings.SITE_URL}/api/v1/incidents/{incident.pk}/",
    )
    with transaction.atomic():
        channel.state = IncidentChannelState.CREATED
        channel.error = ""
        channel.save(update_fields=["state", "error"])
        timeline_event_create(
            incident=incident,
            kind=K.SLACK_CHANNEL,
            message=f"Slack channel #{channel.name} created",
            data={"channel": channel.channel_id, "name": channel.name, "invited": len(user_ids)},
        )
    return channel


def incident_channel_invite(*, incident_id: int, user_ids: list[int]) -> int:
    """Invite Tocsin users (by their e-mail's Slack account) into the incident channel:
    a newly assigned commander, scribe or communications lead, and the responders that
    paging reaches (the paging code calls ``incident_channel_invite_later``). Returns how
    many Slack accounts were invited."""
    from django.contrib.auth import get_user_model

    channel = IncidentChannel.objects.filter(incident_id=incident_id).first()
    if channel is None or channel.state == IncidentChannelState.FAILED:
        return 0
    if channel.state == IncidentChannelState.PENDING:
        raise ChannelNotReady("The incident channel is not created yet.")
    emails = get_user_model().objects.filter(pk__in=user_ids).exclude(email="")
    slack_ids = sorted(
        {
            uid
            for email in emails.values_list("email", flat=True)
            if (uid := slack.find_user_id(email))
        }
    )
    slack.invite(channel.channel_id, slack_ids)
    return len(slack_ids)


def incident_channel_invite_later(*, incident: Incident, users: list) -> None:
    """After commit, invite ``users`` into the incident's channel if it has one."""
    if not slack.enabled() or not users:
        return
    if (
        not IncidentChannel.objects.filter(incident=incident)
        .exclude(state=IncidentChannelState.FAILED)
        .exists()
    ):
        return
    slack_invite_later(incident_id=incident.pk, user_ids=[u.pk for u in users])


def incident_channel_post(*, incident_id: int, text: str) -> None:
    channel = IncidentChannel.objects.filter(incident_id=incident_id).first()
    if channel is None or channel.state == IncidentChannelState.FAILED:
        return
    if channel.state == IncidentChannelState.PENDING:
        raise ChannelNotReady("The incident channel is not created yet.")
    slack.post(channel.channel_id, text)


ACTION_LABELS = {"open": "channel creation", "post": "message", "invite": "invitation"}


@transaction.atomic
def incident_channel_failed(*, incident_id: int, action: str, error: str) -> None:
    """Slack gave up after the retries: note it on the timeline; the incident goes on."""
    incident = Incident.objects.filter(pk=incident_id).first()
    if incident is None:
        return
    if action == "open":
        channel = IncidentChannel.objects.select_for_update().filter(incident=incident).first()
        if channel is not None:
            channel.state = IncidentChannelState.FAILED
            channel.error = error[:2000]
            channel.save(update_fields=["state", "error"])
    timeline_event_create(
        incident=incident,
        kind=K.SLACK_FAILED,
        message=f"Slack {ACTION_LABELS.get(action, action)} failed: {error}",
        data={"action": action, "error": error[:2000]},
    )
