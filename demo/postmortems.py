"""Demo postmortems and action items.

The demo incidents are replayed over 90 days; resolving the required ones drafts their
postmortems, all of them long past their SLA. Left like that, the first run of the SLA
beat would mail every owner and manager about every one of them. A real team has
published most of them, so this does what the team would have done, through the real
services, each call's rows then moved to the moment it would have happened (see
demo.backdate): the postmortems of older incidents are written, submitted and published
(most within the SLA, one per team late), with action items of which some are done (on
time or late), some in progress, some still open and overdue, one dropped as "won't do".
The two most recently resolved postmortems of each team stay unpublished (the latest a
draft, the next in review if it was resolved in the last three weeks), with an open
action item: they are what the SLA beat and the home page's "Postmortems I owe" show.

Idempotent: a postmortem is published with its action items in one transaction, so a
published one is never visited again, and the kept drafts are always the two most
recently resolved of their team (the "recent" test moves with the clock, so a later run
may publish one more, never touch a published one).
"""

import random
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from demo.backdate import backdate, history_mark
from oncall.teams.models import TeamMembership, TeamRole
from postmortems import services
from postmortems.models import (
    ActionItem,
    ContributingFactor,
    FiveWhy,
    Postmortem,
    PostmortemStatus,
)

KEEP_UNPUBLISHED = 2  # per team: the most recently resolved postmortems stay open...


RECENT = timedelta(days=21)  # ...if resolved in the last three weeks (the latest always)


WHYS = [
    ("Why did customers see errors?", "Requests timed out waiting on a saturated dependency."),
    (
        "Why was the dependency saturated?",
        "A configuration change halved its capacity and no check compared it with the load.",
    ),
    (
        "Why was the change not caught?",
        "The deploy pipeline has no canary step for configuration-only changes.",
    ),
]


def _demo_postmortems() -> dict[int, list[Postmortem]]:
    by_team: dict[int, list[Postmortem]] = {}
    rows = (
        Postmortem.objects.filter(incident__source="demo", incident__resolved_at__isnull=False)
        .select_related("incident__team", "owner")
        .order_by("-incident__resolved_at", "-id")
    )
    for postmortem in rows:
        by_team.setdefault(postmortem.incident.team_id, []).append(postmortem)
    return by_team


def _people(team_id: int) -> tuple[list[Any], Any]:
    memberships = list(
        TeamMembership.objects.filter(team_id=team_id).select_related("user").order_by("id")
    )
    people = [m.user for m in memberships]
    manager = next((m.user for m in memberships if m.role == TeamRole.MANAGER), people[0])
    return people, manager


def _at(moment: datetime, now: datetime) -> datetime:
    return min(moment, now - timedelta(minutes=1))


def _write(postmortem: Postmortem, actor: Any, at: datetime) -> None:
    incident = postmortem.incident
    since = history_mark(Postmortem, FiveWhy, ContributingFactor)
    services.postmortem_update(
        postmortem=postmortem,
        actor=actor,
        summary=postmortem.summary
        or f"{incident.title}: customers were affected until the change was rolled back.",
        impact=postmortem.impact or "Some requests failed or were slow during the incident.",
        root_cause=(
            "A configuration change reduced the capacity of a shared dependency below the "
            "peak load, and nothing validated the new limit before it reached production."
        ),
        what_went_well="The alert fired within minutes and the rollback was quick.",
        what_went_wrong="The runbook did not mention the configuration repository.",
        lessons_technical="Capacity limits need a check against recent peak load.",
        lessons_process="Configuration changes go through the same canary as code.",
        whys=[{"question": q, "answer": a} for q, a in WHYS],
        contributing_factors=[
            {"category": "process", "description": "No canary for configuration changes."},
            {"category": "technology", "description": "No alert on connection saturation."},
        ],
    )
    backdate(Postmortem.objects.filter(pk=postmortem.pk), at=at, since=since, fields=["updated_at"])
    backdate(FiveWhy.objects.filter(postmortem=postmortem), at=at, since=since)
    backdate(ContributingFactor.objects.filter(postmortem=postmortem), at=at, since=since)


def _submit(postmortem: Postmortem, actor: Any, at: datetime) -> None:
    since = history_mark(Postmortem)
    services.postmortem_submit(postmortem=postmortem, actor=actor)
    backdate(
        Postmortem.objects.filter(pk=postmortem.pk),
        at=at,
        since=since,
        fields=["submitted_at", "updated_at"],
    )


def _publish_at(postmortem: Postmortem, actor: Any, at: datetime) -> None:
    since = history_mark(Postmortem)
    published = services.postmortem_publish(
        postmortem=postmortem, actor=actor, confirm_blameless_warnings=True
    )
    # The follow-up review is as many days after ``at`` as after the real publication.
    shift = timezone.localdate(published.published_at) - timezone.localdate(at)
    backdate(
        Postmortem.objects.filter(pk=postmortem.pk),
        at=at,
        since=since,
        fields=["published_at", "updated_at"],
        follow_up_review_date=published.follow_up_review_date - shift,
    )


def _item(postmortem, actor, owner, title, priority, kind, due, created) -> ActionItem:
    since = history_mark(ActionItem)
    item = services.action_item_create(
        actor=actor,
        postmortem=postmortem,
        title=title,
        owner=owner,
        priority=priority,
        kind=kind,
        due_date=due,
    )
    backdate(
        ActionItem.objects.filter(pk=item.pk),
        at=created,
        since=since,
        fields=["created_at", "updated_at"],
    )
    return item


def _set_status(item: ActionItem, actor: Any, status: str, at: datetime, reason: str = ""):
    since = history_mark(ActionItem)
    services.action_item_set_status(item=item, actor=actor, status=status, reason=reason)
    fields = ["completed_at", "updated_at"] if status == "done" else ["updated_at"]
    backdate(ActionItem.objects.filter(pk=item.pk), at=at, since=since, fields=fields)


@transaction.atomic
def _publish(postmortem, index, people, manager, rng, now, late: bool) -> None:
    resolved = postmortem.incident.resolved_at
    owner = postmortem.owner or manager
    hours = 70 if late else rng.uniform(8, 40)  # the SLA is 48 h by default
    written = _at(resolved + timedelta(hours=hours - 4), now)
    published = _at(resolved + timedelta(hours=hours), now)
    _write(postmortem, owner, written)
    detective = _item(
        postmortem,
        owner,
        people[index % len(people)],
        "Alert on connection pool saturation above 80 %",
        "P1",
        "detective",
        timezone.localdate(published) + timedelta(days=7),
        written,
    )
    preventive = _item(
        postmortem,
        owner,
        people[(index + 1) % len(people)],
        "Validate capacity limits against peak load in CI",
        "P2",
        "preventive",
        timezone.localdate(published) + timedelta(days=14),
        written,
    )
    _submit(postmortem, owner, _at(written + timedelta(hours=1), now))
    _publish_at(postmortem, manager, published)
    # The detective item is done on time when its due date has come, else in progress.
    done_at = datetime.combine(
        detective.due_date - timedelta(days=1), datetime.min.time(), tzinfo=published.tzinfo
    ) + timedelta(hours=15)
    if done_at < now:
        _set_status(detective, detective.owner, "done", max(done_at, published))
    else:
        _set_status(detective, detective.owner, "in_progress", published)
    # The preventive one: open (overdue once its date passes), in progress, done late,
    # or dropped, in turn.
    due_at = datetime.combine(preventive.due_date, datetime.min.time(), tzinfo=published.tzinfo)
    variant = index % 4
    if variant == 1:
        _set_status(preventive, preventive.owner, "in_progress", published)
    elif variant == 2 and due_at + timedelta(days=3) < now:
        _set_status(preventive, preventive.owner, "done", due_at + timedelta(days=3, hours=11))
    elif variant == 3:
        _set_status(
            preventive,
            manager,
            "wont_do",
            published,
            reason="Covered by the platform-wide limit checks planned this quarter.",
        )


@transaction.atomic
def _keep_open(postmortem, index, people, manager, now) -> None:
    if ActionItem.objects.filter(postmortem=postmortem).exists():
        return
    resolved = postmortem.incident.resolved_at
    owner = postmortem.owner or manager
    written = _at(resolved + timedelta(hours=3), now)
    _write(postmortem, owner, written)
    _item(
        postmortem,
        owner,
        people[index % len(people)],
        "Add the configuration repository to the runbook",
        "P2",
        "corrective",
        timezone.localdate(resolved) + timedelta(days=10),
        written,
    )
    if index == 1:  # the older of the two is waiting for review
        _submit(postmortem, owner, _at(written + timedelta(hours=1), now))


def postmortems_demo_seed() -> dict[str, int]:
    """Publish the older demo postmortems, keep the recent ones open; see the module
    docstring. Returns how many were published and kept open in this run."""
    rng = random.Random(5)  # the same demo every time
    now = timezone.now()
    published = kept = 0
    for team_id, postmortems in _demo_postmortems().items():
        people, manager = _people(team_id)
        for index, postmortem in enumerate(postmortems):
            recent = postmortem.incident.resolved_at >= now - RECENT
            if index == 0 or (index < KEEP_UNPUBLISHED and recent):
                if postmortem.status != PostmortemStatus.PUBLISHED:
                    _keep_open(postmortem, index, people, manager, now)
                    kept += 1
                continue
            if postmortem.status == PostmortemStatus.PUBLISHED:
                continue
            late = index == len(postmortems) - 1  # the oldest was published late
            _publish(postmortem, index, people, manager, rng, now, late)
            published += 1
    return {"published": published, "kept_open": kept}
