"""Running escalation steps. A step pages the current rule's targets and schedules the
next one; its state is the ``IncidentEscalation`` row, never the task.

Steps run from three callers that may overlap freely: the first step inside the
transaction that declares the incident (``escalation_start``), a Celery task scheduled
with an ETA for each later step, carrying the step's token (``escalation_execute_step``),
and the beat sweep (``escalation_run_due``). Each takes the escalation row, and its
incident, with ``select_for_update(skip_locked=True)`` and re-checks the token and due
time under the lock, so a stale, early or duplicate task does nothing and no step runs
twice; the unique constraint on pages is the last line of defence. The sweep plans many
steps per transaction and writes their pages, timeline events and rows in bulk; the
deliveries and next steps are enqueued after commit.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from incidents.models import Incident, IncidentStatus, TimelineEvent, TimelineEventKind
from incidents.paging.models import EscalationState, IncidentEscalation, Page, PageStatus, new_token
from incidents.paging.services.delivery import (
    contact_methods_for_paging,
    page_due_at,
    pages_attach_messages,
)
from incidents.paging.services.enqueue import task_enqueue_safely
from incidents.paging.services.targets import StepTargets
from incidents.paging.signals import responders_paged
from oncall.contacts.models import ContactMethod, OnCallPreference
from oncall.contacts.selectors import notification_plan
from outbox.models import Urgency

logger = logging.getLogger(__name__)


def escalation_execute_step(*, escalation_id: int, token: str | None = None) -> bool:
    """Run the escalation's due step if ``token`` still names it. Returns whether a step ran.

    A row locked by someone else is skipped (they are running it); a stale token, a stopped
    escalation or a step that is not yet due (an early redelivery) does nothing."""
    with transaction.atomic():
        escalation = (
            IncidentEscalation.objects.select_for_update(skip_locked=True)
            .filter(pk=escalation_id, state=EscalationState.ACTIVE)
            .first()
        )
        now = timezone.now()
        if escalation is None or (token is not None and escalation.token != token):
            return False
        if escalation.next_escalation_at is None or escalation.next_escalation_at > now:
            return False
        # The incident is locked too, skipping it if a status change holds it: that change
        # locks incident then escalation, so waiting here could deadlock. If the incident
        # is still triggered afterwards, the sweep runs the step.
        incident = (
            Incident.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("team", "severity")
            .filter(pk=escalation.incident_id)
            .first()
        )
        if incident is None:
            return False
        escalation_step_run_locked(escalation=escalation, incident=incident, now=now)
        return True


def escalation_step_task_run(*, escalation_id: int, token: str) -> bool:
    """What a step's ETA task does: if its step is still the one due, run every step that
    is due now in one batch (its own among them), as the sweep would. Many steps falling
    due together then cost one batched transaction instead of one each; the tasks that
    wake up after it find their step done and stop after one indexed read. Returns
    whether this call ran the task's own step."""
    due = IncidentEscalation.objects.filter(
        pk=escalation_id,
        state=EscalationState.ACTIVE,
        token=token,
        next_escalation_at__lte=timezone.now(),
    )
    if not due.exists():
        return False  # stale (already run, stopped, re-escalated) or an early redelivery
    escalation_run_due(limit=settings.ESCALATION_TASK_BATCH)
    if due.exists():
        # Not in that batch (a backlog, or its row was locked): run it on its own.
        return escalation_execute_step(escalation_id=escalation_id, token=token)
    return True


def escalation_run_due(*, batch_size: int | None = None, limit: int | None = None) -> int:
    """The sweep: execute every due step, ``batch_size`` rows per transaction. Safe to run
    concurrently: rows locked by another sweep or task are skipped. Within a batch, target
    lookups are shared and rows are written in bulk; one broken escalation is logged and
    left for the next sweep without blocking the others."""
    batch_size = batch_size or settings.ESCALATION_SWEEP_BATCH
    done = 0
    while limit is None or done < limit:
        take = batch_size if limit is None else min(batch_size, limit - done)
        with transaction.atomic():
            now = timezone.now()
            # Escalation and incident rows are both taken with SKIP LOCKED (see
            # escalation_execute_step): a step whose incident is changing status is skipped.
            rows = list(
                IncidentEscalation.objects.select_for_update(
                    skip_locked=True, of=("self", "incident")
                )
                .filter(state=EscalationState.ACTIVE, next_escalation_at__lte=now)
                .select_related("incident__team", "incident__severity")
                .order_by("next_escalation_at")[:take]
            )
            batch = _StepBatch(now)
            for escalation in rows:
                try:
                    batch.plan(escalation, escalation.incident)
                except Exception:
                    logger.exception("Escalation %s failed; will retry", escalation.pk)
            batch.write()
        done += len(rows)
        if len(rows) < take:
            break
    return done


def notification_plan_for(
    *, user: AbstractBaseUser, urgency: str
) -> list[tuple[int, ContactMethod]]:
    """(delay in minutes, contact method) for paging ``user`` at ``urgency``: the person's
    own notification rules ("high: SMS and email at once, a call after 2 minutes"), else
    every contact method at once; with no contact method at all, the account's email.
    One page per contact method and step: a method named by two rules is paged at the
    earlier delay."""
    plan = notification_plan(user=user, urgency=urgency)
    if not plan:
        return [(0, method) for method in contact_methods_for_paging(user=user)]
    first: dict[int, tuple[int, ContactMethod]] = {}
    for delay, method in plan:
        if method.pk not in first or delay < first[method.pk][0]:
            first[method.pk] = (delay, method)
    return sorted(first.values(), key=lambda pair: (pair[0], pair[1].pk))


def escalation_step_run_locked(
    *, escalation: IncidentEscalation, incident: Incident, now: datetime
) -> None:
    """Page the current rule's targets and move to the next step. The caller holds the
    escalation's and the incident's row locks."""
    batch = _StepBatch(now)
    batch.plan(escalation, incident)
    batch.write()


class _StepBatch:
    """Steps planned together: target lookups are cached for the batch (they are taken at
    the same instant), and pages, their outbox messages, timeline events and escalation
    rows are written in bulk; the outbox sends the messages after commit."""

    def __init__(self, now: datetime) -> None:
        self.now = now
        self.pages: list[Page] = []
        self.events: list[TimelineEvent] = []
        self.escalations: list[IncidentEscalation] = []
        self.targets = StepTargets(now)
        self._methods: dict[tuple[int, str], list[tuple[int, ContactMethod]]] = {}
        self._preferences: dict[int, OnCallPreference | None] = {}
        self.urgency_of: dict[int, str] = {}

    def _event(self, incident: Incident, kind: str, message: str, data: dict[str, Any]) -> None:
        self.events.append(
            TimelineEvent(
                incident=incident,
                kind=kind,
                message=message,
                data=data,
                created_at=timezone.now(),
            )
        )

    def plan(self, escalation: IncidentEscalation, incident: Incident) -> None:
        """Plan one step; on an exception nothing of it is kept (the row stays due)."""
        pages, events = len(self.pages), len(self.events)
        try:
            self._plan(escalation, incident)
        except Exception:
            del self.pages[pages:], self.events[events:]
            raise
        self.escalations.append(escalation)

    def _plan(self, escalation: IncidentEscalation, incident: Incident) -> None:
        now = self.now
        if incident.status != IncidentStatus.TRIGGERED:
            escalation.state = EscalationState.STOPPED
            escalation.next_escalation_at = None
            escalation.stopped_at = now
            escalation.token = new_token()
            return
        snapshot = escalation.policy_snapshot
        rules = snapshot["rules"]
        rule = rules[escalation.rule_index]
        level = escalation.rule_index + 1
        urgency = incident.severity.urgency
        self.urgency_of[incident.pk] = urgency
        skipped = rule.get("high_urgency_only", False) and urgency != Urgency.HIGH
        users, notes = ([], []) if skipped else self.targets.resolve(rule["targets"])
        reason = f"rule {level}"
        if skipped:
            self._event(
                incident,
                TimelineEventKind.ESCALATION,
                f"Rule {level} pages only for high-urgency incidents; this one is "
                f"{incident.severity.name} (low urgency), so the rule was skipped.",
                {"event": "rule_skipped_low_urgency", "level": level},
            )
        elif not users:
            users = self.targets.team_managers(incident.team_id)
            reason = f"rule {level} fallback to managers"
            self._event(
                incident,
                TimelineEventKind.ESCALATION,
                f"Rule {level} has nobody to page ({'; '.join(notes) or 'no targets'}); "
                + (
                    "paging the team's managers instead."
                    if users
                    else "the team has no managers either: NOBODY WAS PAGED."
                ),
                {"event": "empty_rule", "level": level, "notes": notes},
            )
        paged_at = timezone.now()
        for user in users:
            self.pages.extend(
                self._pages_for(user, incident, escalation, level, reason, paged_at, urgency)
            )
        if users:
            self._event(
                incident,
                TimelineEventKind.PAGED,
                f"Paged {', '.join(u.get_username() for u in users)} ({reason}"
                + (f", repeat {escalation.loop}" if escalation.loop else "")
                + ").",
                {
                    "level": level,
                    "loop": escalation.loop,
                    "run": escalation.run,
                    "users": [{"id": u.pk, "username": u.get_username()} for u in users],
                },
            )
        # Advance to the next step.
        rule_index, loop = escalation.rule_index + 1, escalation.loop
        if rule_index >= len(rules):
            rule_index, loop = 0, loop + 1
        escalation.rule_index, escalation.loop = rule_index, loop
        if escalation.loop > snapshot["repeat"]:
            escalation.state = EscalationState.EXHAUSTED
            escalation.next_escalation_at = None
            escalation.stopped_at = now
            self._event(
                incident,
                TimelineEventKind.ESCALATION,
                "Escalation finished: every rule was paged"
                + (f" {snapshot['repeat'] + 1} times." if snapshot["repeat"] else "."),
                {"event": "exhausted"},
            )
        else:
            escalation.next_escalation_at = now + timedelta(minutes=rule["delay_minutes"])
        escalation.token = new_token()

    def write(self) -> None:
        from celery import current_app as celery_app

        from incidents.paging import tasks

        if self.pages:
            pages_attach_messages(self.pages, urgency_of=self.urgency_of)
            Page.objects.bulk_create(self.pages, ignore_conflicts=True)
            self._invite_paged_to_channels()
        if self.events:
            TimelineEvent.objects.bulk_create(self.events)
        _save_escalations(self.escalations)
        # The database drives the steps: the 1 s sweep runs whatever is due. An ETA task
        # per step is optional (ESCALATION_ETA_TASKS): it can run a step a little sooner
        # when the workers are idle, but under a flood its per-task cost made steps later
        # than the sweep alone (docs/paging.md, "Measured").
        steps = [
            (e.pk, e.token, e.next_escalation_at)
            for e in self.escalations
            if e.state == EscalationState.ACTIVE and e.next_escalation_at is not None
        ]
        if not settings.ESCALATION_ETA_TASKS:
            steps = []
        if not steps:
            return

        def enqueue() -> None:
            try:
                with celery_app.producer_or_acquire() as producer:
                    for escalation_id, token, due in steps:
                        task_enqueue_safely(
                            tasks.escalation_step, escalation_id, token, eta=due, producer=producer
                        )
            except Exception:
                logger.exception("Broker unavailable; the sweep will run these steps")

        transaction.on_commit(enqueue)

    def _invite_paged_to_channels(self) -> None:
        """Tell the rooms that follow paging who was paged, per incident (the
        communication room invites them to the incident's Slack channel after commit)."""
        paged: dict[int, tuple[Incident, dict[int, AbstractBaseUser]]] = {}
        for page in self.pages:
            _incident, users = paged.setdefault(page.incident_id, (page.incident, {}))
            users.setdefault(page.user_id, page.user)
        for incident, users in paged.values():
            responders_paged.send(sender=Page, incident=incident, users=list(users.values()))

    def _pages_for(
        self,
        user: AbstractBaseUser,
        incident: Incident,
        escalation: IncidentEscalation,
        level: int,
        reason: str,
        paged_at: datetime,
        urgency: str,
    ) -> list[Page]:
        if (user.pk, urgency) not in self._methods:
            self._methods[(user.pk, urgency)] = notification_plan_for(user=user, urgency=urgency)
        plan = self._methods[(user.pk, urgency)]
        preference = self._preference(user)
        common = {
            "incident": incident,
            "user": user,
            "run": escalation.run,
            "loop": escalation.loop,
            "level": level,
            "reason": reason,
            "created_at": paged_at,
        }
        if not plan:
            return [
                Page(
                    **common,
                    contact_method=None,
                    channel="none",
                    status=PageStatus.FAILED,
                    error="No working contact method.",
                    not_before=paged_at,
                )
            ]
        return [
            Page(
                **common,
                contact_method=method,
                channel=method.kind,
                not_before=page_due_at(
                    method=method,
                    urgency=urgency,
                    at=paged_at + timedelta(minutes=delay),
                    preference=preference,
                ),
            )
            for delay, method in plan
        ]

    def _preference(self, user: AbstractBaseUser) -> OnCallPreference | None:
        if user.pk not in self._preferences:
            self._preferences[user.pk] = OnCallPreference.objects.filter(user=user).first()
        return self._preferences[user.pk]


_ESCALATION_COLUMNS = (
    "state",
    "rule_index",
    "loop",
    "next_escalation_at",
    "token",
    "stopped_at",
    "updated_at",
)


def _save_escalations(escalations: list[IncidentEscalation]) -> None:
    """One parameterized UPDATE per row, sent with ``executemany`` (pipelined by psycopg 3).
    Engine rows have no history, and Django's ``bulk_update`` builds a CASE per column and
    row, which costs more than the statements it saves."""
    if not escalations:
        return
    from django.db import connection

    now = timezone.now()
    meta = IncidentEscalation._meta
    fields = [meta.get_field(name) for name in _ESCALATION_COLUMNS]
    assignments = ", ".join(f"{connection.ops.quote_name(f.column)} = %s" for f in fields)
    sql = (
        f"UPDATE {connection.ops.quote_name(meta.db_table)} SET {assignments} "  # noqa: S608
        f"WHERE {connection.ops.quote_name(meta.pk.column)} = %s"
    )
    rows = []
    for escalation in escalations:
        escalation.updated_at = now
        rows.append(
            [
                field.get_db_prep_save(getattr(escalation, field.attname), connection)
                for field in fields
            ]
            + [escalation.pk]
        )
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)
