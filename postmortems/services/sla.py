"""The postmortem SLA and overdue action items, run by beat, and the e-mails they send.

- A postmortem is due ``POSTMORTEM_SLA_HOURS`` (48) after its incident's resolution. Not
  published by then: it is marked breached and its owner and the team's managers are
  e-mailed; still unpublished ``POSTMORTEM_ESCALATION_HOURS`` later, it is marked
  escalated and the managers are e-mailed again.
- An open action item past its due date is marked overdue; its owner is e-mailed once a
  day and each team's managers get one daily digest.

Both are safe to run twice or concurrently: due rows are taken with ``FOR UPDATE SKIP
LOCKED``, each mark is set once, and every e-mail is an outbox message written in the
same transaction under a unique key (``postmortem-sla-breached:<postmortem>:<user>``,
``action-item-overdue:<item>:<day>`` …), so a rerun writes nothing new. The outbox sends
each after the commit, at least once, with a Message-ID derived from its key (a repeat
after a crash mid-send carries the same id), retrying with back-off; right before a send
it asks whether the e-mail is still wanted (``_prepare_*``: not once the postmortem is
published or the action item closed).
"""

import datetime
import logging
import re

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from oncall.teams.models import Team
from oncall.teams.selectors import team_managers
from outbox.models import Message, Transport
from outbox.purposes import Purpose, purpose_register
from outbox.services import message_enqueue
from postmortems import selectors
from postmortems.models import (
    OPEN_ACTION_ITEM_STATUSES,
    ActionItem,
    Postmortem,
    PostmortemStatus,
)

logger = logging.getLogger(__name__)
UNPUBLISHED = (PostmortemStatus.DRAFT, PostmortemStatus.IN_REVIEW)

# The outbox purposes of the e-mails sent here.
SLA_BREACHED = "postmortems.sla_breached"
SLA_ESCALATED = "postmortems.sla_escalated"
ACTION_ITEM_OVERDUE = "postmortems.action_item_overdue"
OVERDUE_DIGEST = "postmortems.overdue_digest"


def _escalation_delay() -> datetime.timedelta:
    return datetime.timedelta(hours=settings.POSTMORTEM_ESCALATION_HOURS)


def _notify(
    *,
    key: str,
    purpose: str,
    user: AbstractBaseUser,
    subject: str,
    body: str,
    group: str,
) -> Message | None:
    """Write an e-mail to send after the commit, unless one was written under ``key``
    already (the key is unique: whoever writes it first is its only sender). Returns the
    new message, or None. Users without an e-mail address get nothing (logged)."""
    email = getattr(user, "email", "")
    if not email:
        logger.warning("No e-mail address for %s; skipping %s", user.get_username(), key)
        return None
    if Message.objects.filter(key=key).exists():
        return None
    return message_enqueue(
        key=key,
        purpose=purpose,
        transport=Transport.EMAIL,
        address=email,
        payload={"subject": subject, "text": body},
        recipient=user,
        group=group,
    )


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
    the e-mails are outbox messages under unique keys, sent after the commit.

    - not published by ``due_at``: ``sla_breached_at`` is set, the owner and the team's
      managers are e-mailed;
    - still unpublished ``POSTMORTEM_ESCALATION_HOURS`` after ``due_at``: ``escalated_at``
      is set and the managers are e-mailed again with the breach age.
    """
    now = now or timezone.now()
    breached = escalated = emails = 0
    managers: dict[int, list[AbstractBaseUser]] = {}
    with transaction.atomic():
        due = (
            Postmortem.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("incident__team", "owner")
            .filter(status__in=UNPUBLISHED, due_at__lt=now, sla_breached_at=None)
            # A drill's postmortem has an SLA only when the drill asked for one.
            .exclude(incident__is_drill=True, required=False)
            .order_by("due_at", "id")
        )
        for postmortem in due:
            postmortem.sla_breached_at = now
            postmortem._change_reason = "Postmortem SLA breached"  # type: ignore[attr-defined]
            postmortem.save(update_fields=["sla_breached_at", "updated_at"])
            breached += 1
            incident = postmortem.incident
            owner = postmortem.owner.get_username() if postmortem.owner else "none"
            subject = f"[Tocsin] Postmortem overdue: {incident.reference} {incident.title}"
            body = (
                f"The postmortem of {incident.reference} ({incident.title}) was due "
                f"{postmortem.due_at:%Y-%m-%d %H:%M %Z} and is not published "
                f"(status: {postmortem.get_status_display()}).\n"
                f"Owner: {owner}\n\n"
                f"{_link(f'/api/v1/postmortems/{postmortem.pk}/')}\n"
            )
            for user in _postmortem_recipients(postmortem, owner=True, managers=managers):
                message = _notify(
                    key=f"postmortem-sla-breached:{postmortem.pk}:{user.pk}",
                    purpose=SLA_BREACHED,
                    user=user,
                    group=f"postmortem:{postmortem.pk}",
                    subject=subject,
                    body=body,
                )
                emails += message is not None
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
            .exclude(incident__is_drill=True, required=False)
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
            owner = postmortem.owner.get_username() if postmortem.owner else "none"
            subject = f"[Tocsin] Escalation: postmortem of {incident.reference} {age} past due"
            body = (
                f"The postmortem of {incident.reference} ({incident.title}) is still "
                f"unpublished {age} after it was due "
                f"({postmortem.due_at:%Y-%m-%d %H:%M %Z}).\n"
                f"Owner: {owner}\n"
                f"Status: {postmortem.get_status_display()}\n\n"
                f"{_link(f'/api/v1/postmortems/{postmortem.pk}/')}\n"
            )
            for user in _postmortem_recipients(postmortem, owner=False, managers=managers):
                message = _notify(
                    key=f"postmortem-escalated:{postmortem.pk}:{user.pk}",
                    purpose=SLA_ESCALATED,
                    user=user,
                    group=f"postmortem:{postmortem.pk}",
                    subject=subject,
                    body=body,
                )
                emails += message is not None
    return {"breached": breached, "escalated": escalated, "emails": emails}


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
        # Today's reminders already written, in one query: an hourly rerun then costs one
        # select instead of one per item (the unique key still decides under a race).
        already = set(
            Message.objects.filter(
                key__in=[f"action-item-overdue:{i.pk}:{today.isoformat()}" for i in items]
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
                purpose=ACTION_ITEM_OVERDUE,
                user=item.owner,
                group=f"action_item:{item.pk}",
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
            # whichever run writes it first sends the complete list.
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
                    purpose=OVERDUE_DIGEST,
                    user=manager,
                    group=f"team:{team.pk}",
                    subject=f"[Tocsin] {team.name}: {len(team_items)} overdue action item(s)",
                    body=(
                        f"Overdue action items of {team.name} on {today:%Y-%m-%d}:\n\n"
                        + "\n".join(lines)
                        + f"\n\n{_link(f'/api/v1/action-items/board/?team={team.pk}')}\n"
                    ),
                ):
                    digests += 1
    return {"marked": marked, "reminded": reminded, "digests": digests}


# --- what the outbox asks of this room ---------------------------------------------------


def _id_in(group: str, kind: str) -> int | None:
    match = re.fullmatch(rf"{kind}:(\d+)", group or "")
    return int(match.group(1)) if match else None


def _prepare_postmortem_email(message: Message) -> dict | None:
    """An SLA e-mail is no longer wanted once its postmortem is published (a retry an
    hour later must not call a published postmortem overdue)."""
    pk = _id_in(message.group, "postmortem")
    if pk is None or not Postmortem.objects.filter(pk=pk, status__in=UNPUBLISHED).exists():
        return None
    return message.payload


def _prepare_action_item_email(message: Message) -> dict | None:
    """An overdue reminder is no longer wanted once its action item is closed."""
    pk = _id_in(message.group, "action_item")
    if (
        pk is None
        or not ActionItem.objects.filter(pk=pk, status__in=OPEN_ACTION_ITEM_STATUSES).exists()
    ):
        return None
    return message.payload


def register() -> None:
    """Tell the outbox which of these e-mails to re-check right before sending (the
    managers' digest goes out as written)."""
    purpose_register(Purpose(SLA_BREACHED, prepare=_prepare_postmortem_email))
    purpose_register(Purpose(SLA_ESCALATED, prepare=_prepare_postmortem_email))
    purpose_register(Purpose(ACTION_ITEM_OVERDUE, prepare=_prepare_action_item_email))
