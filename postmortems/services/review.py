"""Review and publish: draft → in review → published, or back to draft.

Rules: only members of the incident's team move a postmortem; a published postmortem
stays published. Publishing needs a summary, a root cause, at least one answered why and
every action item with an owner, a priority and a due date; if the blameless check warns,
the publisher must confirm, and the confirmed warnings are kept on the postmortem and
named in its history. The publisher becomes ``approved_by``; the follow-up review is due
``POSTMORTEM_FOLLOW_UP_REVIEW_DAYS`` later.
"""

import datetime

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from common.errors import Conflict, InvalidInput
from common.history import attribute_history
from oncall.teams.services import team_require_member
from postmortems import selectors
from postmortems.models import Postmortem, PostmortemStatus
from postmortems.services.common import postmortem_lock, stored_actor

POSTMORTEM_TRANSITIONS: dict[str, tuple[str, ...]] = {
    PostmortemStatus.DRAFT: (PostmortemStatus.IN_REVIEW,),
    PostmortemStatus.IN_REVIEW: (PostmortemStatus.DRAFT, PostmortemStatus.PUBLISHED),
    PostmortemStatus.PUBLISHED: (),
}


def _transition(locked: Postmortem, to_status: str) -> None:
    allowed = POSTMORTEM_TRANSITIONS[locked.status]
    if to_status not in allowed:
        detail = f"Cannot move the postmortem from {locked.status} to {to_status}."
        if allowed:
            detail += f" Allowed next statuses: {', '.join(allowed)}."
        raise Conflict(detail, extra={"status": locked.status, "allowed": list(allowed)})


@transaction.atomic
def postmortem_submit(
    *, postmortem: Postmortem | int, actor: AbstractBaseUser | None
) -> Postmortem:
    """Draft → in review."""
    locked = postmortem_lock(postmortem=postmortem)
    team_require_member(actor=actor, team=locked.incident.team)
    _transition(locked, PostmortemStatus.IN_REVIEW)
    locked.status = PostmortemStatus.IN_REVIEW
    locked.submitted_at = timezone.now()
    attribute_history(locked, actor).save(update_fields=["status", "submitted_at", "updated_at"])
    return locked


@transaction.atomic
def postmortem_request_changes(
    *, postmortem: Postmortem | int, actor: AbstractBaseUser | None, reason: str = ""
) -> Postmortem:
    """In review → draft (a reviewer sends it back)."""
    locked = postmortem_lock(postmortem=postmortem)
    team_require_member(actor=actor, team=locked.incident.team)
    _transition(locked, PostmortemStatus.DRAFT)
    locked.status = PostmortemStatus.DRAFT
    if reason.strip():
        locked._change_reason = f"Changes requested: {reason.strip()}"  # type: ignore[attr-defined]
    attribute_history(locked, actor).save(update_fields=["status", "updated_at"])
    return locked


def postmortem_publish_problems(*, postmortem: Postmortem) -> dict[str, list[str]]:
    """What stops a postmortem from being published, by field (empty when none)."""
    errors: dict[str, list[str]] = {}
    if not postmortem.summary.strip():
        errors["summary"] = ["A summary is required to publish."]
    if not postmortem.root_cause.strip():
        errors["root_cause"] = ["A root cause is required to publish."]
    whys = list(postmortem.whys.all())
    if not any(w.question.strip() and w.answer.strip() for w in whys):
        errors["whys"] = ["At least one answered why is required to publish."]
    incomplete = [
        f"{item.title!r} needs "
        + ", ".join(
            name
            for name, missing in (
                ("an owner", item.owner_id is None),
                ("a priority", not item.priority),
                ("a due date", item.due_date is None),
            )
            if missing
        )
        + "."
        for item in postmortem.action_items.all()
        if item.owner_id is None or not item.priority or item.due_date is None
    ]
    if incomplete:
        errors["action_items"] = incomplete
    return errors


@transaction.atomic
def postmortem_publish(
    *,
    postmortem: Postmortem | int,
    actor: AbstractBaseUser | None,
    confirm_blameless_warnings: bool = False,
) -> Postmortem:
    """In review → published. Needs summary, root cause, an answered why and complete
    action items; if the blameless check warns, the publisher must confirm, and the
    confirmed warnings are stored on the postmortem and named in its history."""
    locked = postmortem_lock(postmortem=postmortem)
    team_require_member(actor=actor, team=locked.incident.team)
    _transition(locked, PostmortemStatus.PUBLISHED)
    problems = postmortem_publish_problems(postmortem=locked)
    if problems:
        raise InvalidInput("The postmortem is not ready to publish.", errors=problems)
    warnings = selectors.postmortem_blameless_warnings(postmortem=locked)
    if warnings and not confirm_blameless_warnings:
        raise Conflict(
            f"The blameless check found {len(warnings)} warning(s); reword them or publish "
            "with confirm_blameless_warnings: true.",
            errors={"confirm_blameless_warnings": ["Required when there are warnings."]},
            extra={"warnings": [w.as_dict() for w in warnings]},
        )
    now = timezone.now()
    locked.status = PostmortemStatus.PUBLISHED
    locked.published_at = now
    locked.approved_by = stored_actor(actor)
    locked.follow_up_review_date = timezone.localdate(now) + datetime.timedelta(
        days=settings.POSTMORTEM_FOLLOW_UP_REVIEW_DAYS
    )
    locked.confirmed_blameless_warnings = [w.as_dict() for w in warnings]
    if warnings:
        who = actor.get_username() if actor is not None else "the system"
        locked._change_reason = (  # type: ignore[attr-defined]
            f"Published with {len(warnings)} blameless warning(s) confirmed by {who}"
        )
    attribute_history(locked, actor).save(
        update_fields=[
            "status",
            "published_at",
            "approved_by",
            "follow_up_review_date",
            "confirmed_blameless_warnings",
            "updated_at",
        ]
    )
    return locked
