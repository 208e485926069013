"""Writes for runbooks: authoring, testing, matching to incidents, staleness."""

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from common.errors import Conflict, InvalidInput
from common.history import attribute_history, fields_apply
from common.jsontext import unstorable_text
from common.limits import RUNBOOK_BODY_LENGTH, RUNBOOK_TITLE_LENGTH, text_require_bounded
from incidents.communication.tasks import email_later
from incidents.links import incident_url, page_url
from incidents.models import Incident, Service, Severity
from incidents.services import services_require_in_team, timeline_event_create
from oncall.teams.models import Team
from oncall.teams.selectors import team_managers
from oncall.teams.services import team_require_member
from runbooks import matching
from runbooks.models import Runbook, RunbookAttachment, RunbookEventKind
from runbooks.selectors import runbook_facts

# An incident shows at most this many runbooks (the best matches); more is noise.
MAX_ATTACHMENTS = 10

EDITABLE_FIELDS = (
    "title",
    "services",
    "matchers",
    "severity_hint",
    "body",
    "review_interval_days",
    "last_tested_at",
)


def validate_matchers(raw: Any) -> dict[str, Any]:
    """Normalise ``{"alert_names": [...], "labels": {k: v}, "title_keywords": [...]}``."""
    if raw in (None, ""):
        raw = {}
    if not isinstance(raw, Mapping):
        raise InvalidInput("matchers must be an object.", errors={"matchers": ["Not an object."]})
    unknown = sorted(set(raw) - {"alert_names", "labels", "title_keywords"})
    errors: list[str] = [f"Unknown key {key!r}." for key in unknown]
    problem = unstorable_text(raw)
    if problem:
        raise InvalidInput("Invalid runbook matchers.", errors={"matchers": [problem]})
    out: dict[str, Any] = {"alert_names": [], "labels": {}, "title_keywords": []}
    for key in ("alert_names", "title_keywords"):
        value = raw.get(key) or []
        if not isinstance(value, list) or not all(
            isinstance(v, str) and v.strip() and len(v) <= 200 for v in value
        ):
            errors.append(f"{key} must be a list of non-empty strings.")
        else:
            out[key] = sorted({v.strip() for v in value})
    labels = raw.get("labels") or {}
    if not isinstance(labels, Mapping) or not all(
        isinstance(k, str) and k and isinstance(v, str | int | float | bool)
        for k, v in labels.items()
    ):
        errors.append("labels must be an object of label names to values.")
    else:
        out["labels"] = {str(k): str(v) for k, v in sorted(labels.items())}
    if errors:
        raise InvalidInput("Invalid runbook matchers.", errors={"matchers": errors})
    return out


_TEXT_LIMITS = {"title": RUNBOOK_TITLE_LENGTH, "body": RUNBOOK_BODY_LENGTH}


@transaction.atomic
def runbook_create(
    *,
    actor: AbstractBaseUser | None,
    team: Team,
    title: str,
    body: str,
    services: Iterable[Service] = (),
    matchers: Any = None,
    severity_hint: Severity | None = None,
    review_interval_days: int = 90,
    last_tested_at: datetime | None = None,
) -> Runbook:
    team_require_member(actor=actor, team=team)
    title = (title or "").strip()
    if not title:
        raise InvalidInput("A runbook needs a title.", errors={"title": ["Required."]})
    text_require_bounded(limits=_TEXT_LIMITS, texts={"title": title, "body": body})
    if review_interval_days < 1:
        raise InvalidInput(
            "The review interval is at least one day.",
            errors={"review_interval_days": ["Must be at least 1."]},
        )
    services = services_require_in_team(
        team=team, services=services, message="A runbook covers services of its own team."
    )
    _check_tested_at(last_tested_at, "last_tested_at")
    now = timezone.now()
    runbook = Runbook(
        team=team,
        title=title,
        body=body or "",
        matchers=validate_matchers(matchers),
        severity_hint=severity_hint,
        review_interval_days=review_interval_days,
        last_tested_at=last_tested_at,
        created_at=now,
        updated_at=now,
    )
    runbook.review_due_at = runbook.compute_review_due_at()
    try:
        with transaction.atomic():
            attribute_history(runbook, actor).save()
    except IntegrityError:
        raise Conflict(
            f"Team {team.name} already has a runbook titled {title!r}.",
            errors={"title": ["Already used in this team."]},
        ) from None
    if services:
        runbook.services.set(services)
    return runbook


@transaction.atomic
def runbook_update(
    *, runbook: Runbook | int, actor: AbstractBaseUser | None, **fields: Any
) -> Runbook:
    unknown = sorted(set(fields) - set(EDITABLE_FIELDS))
    if unknown:
        raise InvalidInput(
            "These fields cannot be changed.", errors={name: ["Not editable."] for name in unknown}
        )
    pk = runbook.pk if isinstance(runbook, Runbook) else runbook
    locked = Runbook.objects.select_for_update().select_related("team").get(pk=pk)
    team_require_member(actor=actor, team=locked.team)
    # Checked here too: the web editor and the admin do not go through the API's serializers.
    text_require_bounded(limits=_TEXT_LIMITS, texts=fields)
    if "matchers" in fields:
        fields["matchers"] = validate_matchers(fields["matchers"])
    if "title" in fields:
        fields["title"] = (fields["title"] or "").strip()
        if not fields["title"]:
            raise InvalidInput("A runbook needs a title.", errors={"title": ["Required."]})
    _check_tested_at(fields.get("last_tested_at"), "last_tested_at")
    if "review_interval_days" in fields and fields["review_interval_days"] < 1:
        raise InvalidInput(
            "The review interval is at least one day.",
            errors={"review_interval_days": ["Must be at least 1."]},
        )
    new_services = None
    if "services" in fields:
        new_services = services_require_in_team(
            team=locked.team,
            services=fields.pop("services"),
            message="A runbook covers services of its own team.",
        )
    changed = fields_apply(locked, fields)
    if new_services is not None and {s.pk for s in new_services} != set(
        locked.services.values_list("pk", flat=True)
    ):
        locked.services.set(new_services)
        changed.append("services")
    if changed:
        locked.updated_at = timezone.now()
        locked.review_due_at = locked.compute_review_due_at()
        save_fields = [f for f in changed if f != "services"]
        try:
            with transaction.atomic():
                attribute_history(locked, actor).save(
                    update_fields=[*save_fields, "updated_at", "review_due_at"]
                )
        except IntegrityError:
            raise Conflict(
                "This team already has a runbook with that title.",
                errors={"title": ["Already used in this team."]},
            ) from None
    return locked


def runbook_mark_tested(
    *, runbook: Runbook | int, actor: AbstractBaseUser | None, tested_at: datetime | None = None
) -> Runbook:
    """Record a test (game day, drill, verified use): the review clock restarts."""
    _check_tested_at(tested_at, "tested_at")
    return runbook_update(runbook=runbook, actor=actor, last_tested_at=tested_at or timezone.now())


def _check_tested_at(tested_at: datetime | None, field: str) -> None:
    if tested_at is not None and tested_at > timezone.now():
        raise InvalidInput("A test cannot be in the future.", errors={field: ["In the future."]})


# --- incidents ------------------------------------------------------------------------


def runbook_attach_matching(
    *,
    incident: Incident,
    alert_name: str | None = None,
    labels: Mapping[str, Any] | None = None,
) -> list[RunbookAttachment]:
    """Attach the incident team's runbooks that match the incident's services and title
    (and, when called by alert ingestion, the alert's name and labels). Safe to call
    again: a runbook already attached is not attached twice, but a better match raises
    its score. Each new attachment is a timeline event. Returns the new attachments.

    Alert ingestion calls this after incident_create with the alert's name and labels;
    the receiver of incident_declared has already attached what the services and title
    match, so the alert's call adds the alert-specific runbooks and re-ranks."""
    with transaction.atomic():
        facts = matching.IncidentFacts(
            title=incident.title,
            service_slugs=frozenset(incident.services.values_list("slug", flat=True)),
            alert_name=alert_name or None,
            labels={str(k): str(v) for k, v in (labels or {}).items()},
        )
        runbooks = {
            r.pk: r
            for r in Runbook.objects.filter(team_id=incident.team_id).prefetch_related("services")
        }
        ranked = matching.rank((runbook_facts(r) for r in runbooks.values()), facts)
        existing = {a.runbook_id: a for a in RunbookAttachment.objects.filter(incident=incident)}
        now = timezone.now()
        created: list[RunbookAttachment] = []
        for found in ranked:
            attachment = existing.get(found.runbook_id)
            if attachment is not None:
                if found.score > attachment.score:
                    attachment.score = found.score
                    attachment.matched_by = sorted(
                        set(attachment.matched_by) | set(found.matched_by)
                    )
                    attachment.save(update_fields=["score", "matched_by"])
                continue
            if len(existing) + len(created) >= MAX_ATTACHMENTS:
                continue  # only better matches of attached runbooks from here
            runbook = runbooks[found.runbook_id]
            attachment = RunbookAttachment.objects.create(
                incident=incident,
                runbook=runbook,
                matched_by=list(found.matched_by),
                score=found.score,
                attached_at=now,
            )
            created.append(attachment)
            timeline_event_create(
                incident=incident,
                kind=RunbookEventKind.RUNBOOK_ATTACHED,
                message=f"Runbook attached: {runbook.title}",
                data={
                    "runbook": runbook.pk,
                    "title": runbook.title,
                    "matched_by": list(found.matched_by),
                    "score": found.score,
                },
            )
        return created


RUNBOOK_OPENED = "runbook_opened"


@transaction.atomic
def runbook_opened_from_incident(
    *, runbook: Runbook, incident: Incident, actor: AbstractBaseUser
) -> bool:
    """Someone opened a runbook attached to the incident from the incident's page: the
    timeline says so, once per person and runbook (a drill scores whether the matched
    runbook was opened, and when). Returns whether it was recorded now. A runbook not
    attached to the incident, or a person outside its team, records nothing."""
    if incident.team_id != runbook.team_id:
        return False
    team_require_member(actor=actor, team=incident.team)
    if not RunbookAttachment.objects.filter(incident=incident, runbook=runbook).exists():
        return False
    # The timeline has no kind of its own for this yet: a runbook event marked "opened".
    already = incident.timeline.filter(
        kind=RunbookEventKind.RUNBOOK_ATTACHED,
        data__event=RUNBOOK_OPENED,
        data__runbook=runbook.pk,
        actor=actor,
    )
    if already.exists():
        return False
    timeline_event_create(
        incident=incident,
        kind=RunbookEventKind.RUNBOOK_ATTACHED,
        actor=actor,
        message=f"Runbook opened by {actor.get_username()}: {runbook.title}",
        data={"event": RUNBOOK_OPENED, "runbook": runbook.pk, "title": runbook.title},
    )
    return True


@transaction.atomic
def runbook_accuracy_prompt(*, incident: Incident) -> list[RunbookAttachment]:
    """When an incident is resolved, ask whether each of its runbooks was accurate
    (once per attachment). The prompt is a timeline event and an e-mail to the
    commander (after commit)."""
    now = timezone.now()
    pending = list(
        RunbookAttachment.objects.select_for_update()
        .filter(incident=incident, accuracy_prompted_at__isnull=True)
        .select_related("runbook")
    )
    for attachment in pending:
        attachment.accuracy_prompted_at = now
        attachment.save(update_fields=["accuracy_prompted_at"])
    if not pending:
        return []
    titles = [a.runbook.title for a in pending]
    timeline_event_create(
        incident=incident,
        kind=RunbookEventKind.RUNBOOK_ACCURACY_PROMPT,
        message="Was this runbook accurate? " + "; ".join(titles),
        data={"attachments": [a.pk for a in pending], "runbooks": [a.runbook_id for a in pending]},
    )
    commander_email = incident.commander.email if incident.commander else ""
    if commander_email:
        url = incident_url(incident.pk) + "#section-runbooks"
        body = (
            f"{incident.reference} is resolved. Were these runbooks accurate?\n\n"
            + "\n".join(f"- {t}" for t in titles)
            + f"\n\nAnswer on the incident's page: {url}"
        )
        email_later(
            subject=f"[{incident.reference}] Was the runbook accurate?",
            body=body,
            recipients=[commander_email],
            # Asked once per incident and set of runbooks, however often this runs.
            key="runbooks.accuracy_prompt:"
            + f"{incident.pk}:{','.join(str(a.pk) for a in sorted(pending, key=lambda a: a.pk))}",
            group=f"incident:{incident.pk}",
        )
    return pending


@transaction.atomic
def runbook_accuracy_answer(
    *,
    attachment: RunbookAttachment,
    actor: AbstractBaseUser | None,
    accurate: bool,
    comment: str = "",
) -> RunbookAttachment:
    """Record the answer. An accurate runbook used in a real incident counts as tested."""
    locked = (
        RunbookAttachment.objects.select_for_update()
        .select_related("incident__team", "runbook")
        .get(pk=attachment.pk)
    )
    team_require_member(actor=actor, team=locked.incident.team)
    now = timezone.now()
    locked.accurate = accurate
    locked.accuracy_comment = comment
    locked.answered_by = actor if actor is not None and actor.is_authenticated else None
    locked.answered_at = now
    attribute_history(locked, actor).save(
        update_fields=["accurate", "accuracy_comment", "answered_by", "answered_at"]
    )
    timeline_event_create(
        incident=locked.incident,
        kind=RunbookEventKind.RUNBOOK_ACCURACY_ANSWER,
        actor=actor,
        message=f"Runbook {locked.runbook.title!r} was "
        + ("accurate" if accurate else "not accurate")
        + (f": {comment}" if comment else ""),
        data={"runbook": locked.runbook_id, "accurate": accurate},
    )
    if accurate:
        runbook_mark_tested(runbook=locked.runbook_id, actor=actor, tested_at=now)
    return locked


# --- staleness ------------------------------------------------------------------------


def runbook_flag_stale(*, runbook_id: int) -> bool:
    """Flag one runbook past its review date, once per review period, and e-mail the
    owning team's managers after commit. Safe to run twice and concurrently: the row is
    locked with SKIP LOCKED and the flagged period is recorded."""
    with transaction.atomic():
        runbook = (
            Runbook.objects.select_for_update(skip_locked=True)
            .select_related("team")
            .filter(pk=runbook_id)
            .first()
        )
        now = timezone.now()
        if (
            runbook is None
            or runbook.review_due_at > now
            or runbook.stale_flagged_for == runbook.review_due_at
        ):
            return False
        runbook.stale_flagged_for = runbook.review_due_at
        runbook.stale_flagged_at = now
        runbook.save(update_fields=["stale_flagged_for", "stale_flagged_at"])
        recipients = sorted({u.email for u in team_managers(team=runbook.team) if u.email})
        if recipients:
            subject = f"[Tocsin] Runbook due for review: {runbook.title}"
            body = (
                f"The runbook {runbook.title!r} of team {runbook.team.name} was due for "
                f"review on {runbook.review_due_at:%Y-%m-%d} "
                f"(last tested: {runbook.last_tested_at or 'never'}). Test it and record "
                f"the test: {page_url('runbook-detail', runbook.pk)}"
            )
            email_later(
                subject=subject,
                body=body,
                recipients=recipients,
                # Once per review period (the flag above guards it too).
                key=f"runbooks.review_due:{runbook.pk}:{runbook.review_due_at.isoformat()}",
                group=f"runbook:{runbook.pk}",
            )
        return True


def runbooks_due_for_flag() -> list[int]:
    """Runbooks past their review date whose current period is not flagged yet."""
    return list(
        Runbook.objects.filter(review_due_at__lte=timezone.now())
        .exclude(stale_flagged_for=F("review_due_at"))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
