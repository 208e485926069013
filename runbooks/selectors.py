"""Reads for runbooks, scoped to the user's teams."""

from datetime import timedelta
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from common.errors import InvalidInput, NotFound
from incidents.alerts.models import Alert
from incidents.models import Incident, Service
from oncall.teams.models import Team
from oncall.teams.selectors import team_scoped
from runbooks import matching
from runbooks.models import Runbook, RunbookAttachment
from runbooks.rendering import unified_diff

User = AbstractBaseUser | AnonymousUser

COVERAGE_WINDOW = timedelta(days=90)


def runbook_list(*, user: User) -> QuerySet[Runbook]:
    return team_scoped(
        Runbook.objects.select_related("team", "severity_hint").prefetch_related(
            Prefetch("services", queryset=Service.objects.only("id", "slug", "name"))
        ),
        user=user,
    ).order_by("team__name", "title")


def runbook_get(*, user: User, runbook_id: Any) -> Runbook:
    try:
        return runbook_list(user=user).get(pk=int(runbook_id))
    except (Runbook.DoesNotExist, TypeError, ValueError, OverflowError):
        raise NotFound("Runbook not found.") from None


def runbook_facts(runbook: Runbook) -> matching.RunbookFacts:
    m = runbook.matchers or {}
    return matching.RunbookFacts(
        id=runbook.pk,
        service_slugs=frozenset(s.slug for s in runbook.services.all()),
        alert_names=frozenset(m.get("alert_names") or []),
        labels=dict(m.get("labels") or {}),
        title_keywords=tuple(m.get("title_keywords") or []),
    )


def incident_runbook_list(*, incident: Incident) -> QuerySet[RunbookAttachment]:
    """The incident's runbooks, best match first."""
    return (
        RunbookAttachment.objects.filter(incident=incident)
        .select_related("runbook__team", "runbook__severity_hint", "answered_by")
        .order_by("-score", "attached_at", "id")
    )


def runbook_versions(*, runbook: Runbook) -> list[dict[str, Any]]:
    records = runbook.history.select_related("history_user").order_by(
        "-history_date", "-history_id"
    )
    return [
        {
            "history_id": r.history_id,
            "history_date": r.history_date,
            "history_type": {"+": "created", "~": "changed", "-": "deleted"}[r.history_type],
            "history_user": r.history_user.get_username() if r.history_user else None,
            "title": r.title,
            "body": r.body,
            "matchers": r.matchers,
            "last_tested_at": r.last_tested_at,
            "review_interval_days": r.review_interval_days,
        }
        for r in records
    ]


def _version(runbook: Runbook, raw: Any, name: str):
    try:
        return runbook.history.get(history_id=int(raw))
    except (TypeError, ValueError, OverflowError):
        raise InvalidInput(
            f"{name} must be a version id.", errors={name: ["Expected an integer history id."]}
        ) from None
    except runbook.history.model.DoesNotExist:
        raise InvalidInput(
            f"No version {raw} of this runbook.", errors={name: ["No such version."]}
        ) from None


def runbook_diff(*, runbook: Runbook, from_version: Any, to_version: Any) -> dict[str, Any]:
    old = _version(runbook, from_version, "from")
    new = _version(runbook, to_version, "to")
    changes = {}
    for field in ("title", "matchers", "review_interval_days", "last_tested_at"):
        before, after = getattr(old, field), getattr(new, field)
        if before != after:
            changes[field] = [_plain(before), _plain(after)]
    return {
        "from": old.history_id,
        "to": new.history_id,
        "changes": changes,
        "body_diff": unified_diff(
            old.body,
            new.body,
            old_label=f"version {old.history_id}",
            new_label=f"version {new.history_id}",
        ),
    }


def _plain(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


# Alert ingestion (incidents.alerts) keeps each alert's name: coverage lists alert names.
ALERT_NAMES_AVAILABLE = True


def alert_names_seen(*, team: Team, since) -> list[str]:
    """Distinct, non-empty names of the alerts received by the team's integrations since
    ``since`` (first seen, or seen again, in the window), sorted. One query."""
    return list(
        Alert.objects.filter(integration__team=team, last_seen__gte=since)
        .exclude(name="")
        .values_list("name", flat=True)
        .distinct()
        .order_by("name")
    )


def runbook_coverage(*, team: Team, alert_names: list[str] | None = None) -> dict[str, Any]:
    """Each service of the team and each alert name seen in the last 90 days, with the
    runbooks that cover it (an empty list = not covered)."""
    runbooks = list(
        Runbook.objects.filter(team=team).prefetch_related(
            Prefetch("services", queryset=Service.objects.only("id", "slug"))
        )
    )
    if alert_names is None:
        alert_names = alert_names_seen(team=team, since=timezone.now() - COVERAGE_WINDOW)
    services = list(Service.objects.filter(team=team).order_by("name"))
    result = matching.coverage(
        services=[s.slug for s in services],
        alert_names=alert_names,
        runbooks=[runbook_facts(r) for r in runbooks],
    )
    titles = {r.pk: r.title for r in runbooks}
    by_slug = {s.slug: s for s in services}
    service_rows = [
        {
            "service": {"id": by_slug[row["service"]].pk, "slug": row["service"]},
            "covered": bool(row["runbooks"]),
            "runbooks": [{"id": i, "title": titles[i]} for i in row["runbooks"]],
        }
        for row in result["services"]
    ]
    alert_rows = [
        {
            "alert_name": row["alert_name"],
            "covered": bool(row["runbooks"]),
            "runbooks": [{"id": i, "title": titles[i]} for i in row["runbooks"]],
        }
        for row in result["alert_names"]
    ]
    rows = service_rows + alert_rows
    return {
        "team": team.pk,
        "window_days": COVERAGE_WINDOW.days,
        "services": service_rows,
        "alert_names": alert_rows,
        "alert_names_available": ALERT_NAMES_AVAILABLE,
        "covered": sum(1 for r in rows if r["covered"]),
        "total": len(rows),
    }
