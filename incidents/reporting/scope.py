"""Request parameters to a metrics scope: the teams the user may see (one by id or slug,
else all of theirs), the period (default: the 28 days before now; at most 520 weeks) and
an optional severity. Bad input is an InvalidInput naming the field; another team is
"not found"."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

from django.utils import timezone

from common.errors import InvalidInput, NotFound
from incidents.models import Severity
from incidents.reporting.formulas import DEFAULT_PERIOD, EARLIEST, LATEST, MAX_PERIOD, NAME_PATTERN
from incidents.reporting.providers import MetricsScope
from oncall.teams.selectors import team_ids_for_user, team_list


def _parse_moment(raw: str, field: str) -> datetime:
    value = raw.strip()
    parsed: datetime | None = None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        try:
            parsed = datetime.combine(date.fromisoformat(value), time.min)
        except ValueError:
            parsed = None
    if parsed is None:
        raise InvalidInput(
            f"Invalid {field}.",
            errors={field: ["Use an ISO 8601 date or date-time, e.g. 2026-11-02."]},
        )
    if timezone.is_naive(parsed):
        parsed = parsed.replace(tzinfo=UTC)
    if not EARLIEST <= parsed <= LATEST:
        raise InvalidInput(f"Invalid {field}.", errors={field: ["Must be between 1970 and 9000."]})
    return parsed


def metrics_scope_for(
    *,
    user: Any,
    team: str | None = None,
    since: str | None = None,
    until: str | None = None,
    severity: str | None = None,
) -> MetricsScope:
    """Turn request parameters into a scope the user may see. ``team`` is a team id or
    slug of one of the user's teams (another team is "not found"); without it, every
    team of the user. The period defaults to the 28 days before now."""
    now = timezone.now()
    if team not in (None, ""):
        raw = str(team).strip()
        teams = team_list(user=user)
        team_obj = None
        if raw.isdigit() and len(raw) <= 18:
            team_obj = teams.filter(pk=int(raw)).first()
        elif NAME_PATTERN.match(raw):
            team_obj = teams.filter(slug=raw).first()
        if team_obj is None:
            raise NotFound("Team not found.")
        team_ids: list[int] | None = [team_obj.pk]
    else:
        team_ids = team_ids_for_user(user=user)
    until_at = _parse_moment(until, "until") if until else now
    since_at = _parse_moment(since, "since") if since else until_at - DEFAULT_PERIOD
    if since_at >= until_at:
        raise InvalidInput(
            "since must be before until.", errors={"since": ["Must be before until."]}
        )
    if until_at - since_at > MAX_PERIOD:
        raise InvalidInput("The period is too long.", errors={"since": ["At most 520 weeks."]})
    severity_obj = None
    if severity not in (None, ""):
        raw_severity = str(severity).strip()
        if NAME_PATTERN.match(raw_severity):
            severity_obj = Severity.objects.filter(name__iexact=raw_severity).first()
        if severity_obj is None:
            names = ", ".join(Severity.objects.order_by("level").values_list("name", flat=True))
            raise InvalidInput(
                f"Unknown severity {severity!r}.", errors={"severity": [f"Choose one of {names}."]}
            )
    return MetricsScope(
        team_ids=team_ids, since=since_at, until=until_at, severity=severity_obj, now=now
    )
