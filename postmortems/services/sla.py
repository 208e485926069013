"""The postmortem SLA and overdue action items, run by beat, and the e-mails they send.

- A postmortem is due ``POSTMORTEM_SLA_HOURS`` (48) after its incident's resolution. Not
  published by then: it is marked breached and its owner and the team's managers are
  e-mailed; still unpublished ``POSTMORTEM_ESCALATION_HOURS`` later, it is marked
  escalated and the managers are e-mailed again.
- An open action item past its due date is marked overdue; its owner is e-mailed once a
  day and each team's managers get one daily digest.

Both are safe to run twice or concurrently: due rows are taken with ``FOR UPDATE SKIP
LOCKED``, each mark is set once, and every e-mail is first recorded as a
``NotificationRecord`` under a unique key, so a rerun records nothing new. Delivery is
at-least-once: each record is sent under its row lock and marked sent; only a crash
between the SMTP server's acceptance and that commit can send it twice.
"""

import datetime
import logging

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone

from oncall.teams.models import Team
from oncall.teams.selectors import team_managers
from postmortems import selectors
from postmortems.models import (
    OPEN_ACTION_ITEM_STATUSES,
    ActionItem,
    NotificationKind,
    NotificationRecord,
    Postmortem,
    PostmortemStatus,
)

logger = logging.getLogger(__name__)
UNPUBLISHED = (PostmortemStatus.DRAFT, PostmortemStatus.IN_REVIEW)


def _escalation_delay() -> datetime.timedelta:
    return datetime.timedelta(hours=settings.POSTMORTEM_ESCALATION_HOURS)


def _notify(
    *,
    key: str,
    kind: str,
    user: AbstractBaseUser,
    subject: str,
    body: str,
    postmortem: Postmortem | None = None,
    action_item: ActionItem | None = None,
) -> NotificationRecord | None:
    """Record a notification to send; the unique key makes a second record impossible,
    so whoever records it first is the only sender. Users without an e-mail address get
    nothing (logged)."""
    email = getattr(user, "email", "")
    if not email:
        logger.warning("No e-mail address for %s; skipping %s", user.get_username(), key)
        return None
    record, created = NotificationRecord.objects.get_or_create(
        key=key,
        defaults={
            "kind": kind,
            "recipient": user,
            "to_email": email,
            "subject": subject[:255],
            "body": body,
            "postmortem": postmortem,
            "action_item": action_item,
            "created_at": timezone.now(),
        },
    )
    return record if created else None


def notification_deliver_pending(*, limit: int = 5_000) -> int:
    """Send recorded notifications not yet sent. Each is sent under its row lock
    (skip_locked: a concurrent deliverer skips it), then marked sent; a failure is
    counted and retried by the next run up to the configured attempts. Returns how many
    were sent."""
    max_attempts = settings.POSTMORTEM_NOTIFICATION_MAX_ATTEMPTS
    pending = list(
        NotificationRecord.objects.filter(sent_at=None, attempts__lt=max_attempts)
        .order_by("id")
        .values_list("id", flat=True)[:limit]
    )
    sent = 0
    for pk in pending:
        with transaction.atomic():
            record = (
                NotificationRecord.objects.select_for_update(skip_locked=True)
                .filter(pk=pk, sent_at=None)
                .first()
            )
            if record is None:
                continue
            record.attempts += 1
            try:
                EmailMessage(record.subject, record.body, to=[record.to_email]).send()
            except Exception as exc:  # any transport failure: retried by the next run
                record.last_error = f"{type(exc).__name__}: {exc}"[:2000]
                record.save(update_fields=["attempts", "last_error"])
                logger.warning("Could not send %s to %s: %s", record.key, record.to_email, exc)
                continue
            record.sent_at = timezone.now()
            record.last_error = ""
            record.save(update_fields=["attempts", "sent_at", "last_error"])
            sent += 1
    return sent


def _link(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def _age(delta: datetime.timedelta) -> str:
    hours = int(delta.total_seconds() // 3600)
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if days else f"{hours} h"


def _postmortem_recipients(
    postmortem: Postmortem, *, owner: bool, managers: dict[int, list[AbstractBaseUser]]
) -> list[AbstractBaseUser]:
    """The owner (if asked) and the team's managers, each once. ``managers`` caches the
    managers per team for the length of one run."""
    people: dict[int, AbstractBaseUser] = {}
    if owner and postmortem.owner is not None and postmortem.owner.is_active:
        people[postmortem.owner.pk] = postmortem.owner
    team = postmortem.incident.team
    if team.pk not in managers:
        managers[team.pk] = list(team_managers(team=team))
    for manager in managers[team.pk]:
        people.setdefault(manager.pk, manager)
    return list(people.values())


def postmortem_enforce_sla(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """The postmortem SLA, run by beat every 15 minutes and safe to run twice or at once
    on two workers: rows are taken with ``FOR UPDATE SKIP LOCKED`` and only rows not yet
    marked are selected, so each postmortem is marked breached once and escalated once;
    the e-mails are recorded under unique keys before they are sent.

    - not published by ``due_at``: ``sla_breached_at`` is set, the owner and the team's
      managers are e-mailed;
    - still unpublished ``POSTMORTEM_ESCALATION_HOURS`` after ``due_at``: ``escalated_at``
      is set and the managers are e-mailed again with the breach age.
    """
    now = now or timezone.now()
    breached = escalated = 0
    managers: dict[int, list[AbstractBaseUser]] = {}
    with transaction.atomic():
        due = (
            Postmortem.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("incident__team", "owner")
            .filter(status__in=UNPUBLISHED, due_at__lt=now, sla_breached_at=None)
            .order_by("due_at", "id")
        )
        for postmortem in due:
            postmortem.sla_breached_at = now
            postmortem._change_reason = "Postmortem SLA breached"  # type: ignore[attr-defined]
            postmortem.save(update_fields=["sla_breached_at", "updated_at"])
            breached += 1
            incident = postmortem.incident
            for user in _postmortem_recipients(postmortem, owner=True, managers=managers):
                _notify(
                    key=f"postmortem-sla-breached:{postmortem.pk}:{user.pk}",
                    kind=NotificationKind.POSTMORTEM_SLA_BREACHED,
                    user=user,
                    postmortem=postmortem,
                    subject=f"[Tocsin] Postmortem overdue: {incident.reference} {incident.title}",
                    body=(
                        f"The postmortem of {incident.reference} ({incident.title}) was due "
                        f"{postmortem.due_at:%Y-%m-%d %H:%M %Z} and is not published "
                        f"(status: {postmortem.get_status_display()}).\n"
                        f"Owner: {postmortem.owner.get_username() if postmortem.owner else 'none'}\n\n"
                        f"{_link(f'/api/v1/postmortems/{postmortem.pk}/')}\n"
                    ),
                )
        overdue_since = now - _escalation_delay()
        to_escalate = (
            Postmortem.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("incident__team", "owner")
            .filter(
                status__in=UNPUBLISHED,
                due_at__lt=overdue_since,
                escalated_at=None,
            )
            .exclude(sla_breached_at=None)
            .order_by("due_at", "id")
        )
        for postmortem in to_escalate:
            postmortem.escalated_at = now
            postmortem._change_reason = "Postmortem SLA escalated"  # type: ignore[attr-defined]
            postmortem.save(update_fields=["escalated_at", "updated_at"])
            escalated += 1
            incident = postmortem.incident
            assert postmortem.due_at is not None
            age = _age(now - postmortem.due_at)
            for user in _postmortem_recipients(postmortem, owner=False, managers=managers):
                _notify(
                    key=f"postmortem-escalated:{postmortem.pk}:{user.pk}",
                    kind=NotificationKind.POSTMORTEM_ESCALATED,
                    user=user,
                    postmortem=postmortem,
                    subject=(
                        f"[Tocsin] Escalation: postmortem of {incident.reference} {age} past due"
                    ),
                    body=(
                        f"The postmortem of {incident.reference} ({incident.title}) is still "
                        f"unpublished {age} after it was due "
                        f"({postmortem.due_at:%Y-%m-%d %H:%M %Z}).\n"
                        f"Owner: {postmortem.owner.get_username() if postmortem.owner else 'none'}\n"
                        f"Status: {postmortem.get_status_display()}\n\n"
                        f"{_link(f'/api/v1/postmortems/{postmortem.pk}/')}\n"
                    ),
                )
    sent = notification_deliver_pending()
    return {"breached": breached, "escalated": escalated, "sent": sent}


def action_item_remind_overdue(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """Overdue action items, run by beat hourly and safe to run twice or concurrently.

    An item past its due date (``due_date`` before today, in TIME_ZONE) and not closed is
    marked overdue the first time it is seen, and its owner is e-mailed once per day it
    stays overdue (the key holds the date). Each team's managers get one digest a day
    listing all the team's overdue items. Done or won't-do items are never selected."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    marked = reminded = digests = 0
    with transaction.atomic():
        items = list(
            ActionItem.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("incident__team", "owner")
            .filter(status__in=OPEN_ACTION_ITEM_STATUSES, due_date__lt=today)
            .order_by("due_date", "id")
        )
        teams: dict[int, Team] = {}
        # Keys already recorded today, in one query: an hourly rerun then costs one select
        # instead of one per item (the unique key still decides under a race).
        already = set(
            NotificationRecord.objects.filter(
                kind=NotificationKind.ACTION_ITEM_OVERDUE,
                key__endswith=f":{today.isoformat()}",
            ).values_list("key", flat=True)
        )
        for item in items:
            teams[item.incident.team_id] = item.incident.team
            if item.marked_overdue_at is None:
                item.marked_overdue_at = now
                item._change_reason = "Marked overdue"  # type: ignore[attr-defined]
                item.save(update_fields=["marked_overdue_at", "updated_at"])
                marked += 1
            if item.owner is None or not item.owner.is_active:
                continue
            if f"action-item-overdue:{item.pk}:{today.isoformat()}" in already:
                continue
            days = (today - item.due_date).days
            if _notify(
                key=f"action-item-overdue:{item.pk}:{today.isoformat()}",
                kind=NotificationKind.ACTION_ITEM_OVERDUE,
                user=item.owner,
                action_item=item,
                subject=f"[Tocsin] Action item overdue ({days} d): {item.title}",
                body=(
                    f"Your action item {item.title!r} ({item.priority}) from "
                    f"{item.incident.reference} was due {item.due_date:%Y-%m-%d} and is "
                    f"{item.get_status_display().lower()}, {days} day(s) overdue.\n"
                    "Close it (done, or won't do with a reason) or move its due date.\n\n"
                    f"{_link(f'/api/v1/action-items/{item.pk}/')}\n"
                ),
            ):
                reminded += 1
        for team in teams.values():
            # The whole team's list, locked or not: the digest is keyed per day, so
            # whichever run records it first sends the complete list.
            team_items = list(selectors.action_item_overdue_for_team(team=team, today=today))
            if not team_items:
                continue
            lines = [
                f"- {i.title} ({i.priority}, {i.incident.reference}): owner "
                f"{i.owner.get_username() if i.owner else 'none'}, due {i.due_date:%Y-%m-%d}, "
                f"{(today - i.due_date).days} d overdue"
                for i in team_items
            ]
            for manager in team_managers(team=team):
                if _notify(
                    key=f"overdue-digest:{team.pk}:{manager.pk}:{today.isoformat()}",
                    kind=NotificationKind.OVERDUE_DIGEST,
                    user=manager,
                    subject=f"[Tocsin] {team.name}: {len(team_items)} overdue action item(s)",
                    body=(
                        f"Overdue action items of {team.name} on {today:%Y-%m-%d}:\n\n"
                        + "\n".join(lines)
                        + f"\n\n{_link(f'/api/v1/action-items/board/?team={team.pk}')}\n"
                    ),
                ):
                    digests += 1
    sent = notification_deliver_pending()
    return {"marked": marked, "reminded": reminded, "digests": digests, "sent": sent}
