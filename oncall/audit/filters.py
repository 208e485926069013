"""The audit log's filters, read from a query string (the page's form and the API share
them): bad values are a 400 naming the parameter."""

import ipaddress
from datetime import datetime, time, timedelta

from django.http import QueryDict
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from common.errors import InvalidInput
from oncall.audit.models import AuditAction
from oncall.audit.selectors import AuditFilters


def _instant(params: QueryDict, name: str, *, end: bool = False) -> datetime | None:
    raw = (params.get(name) or "").strip().replace(" ", "+")
    if not raw:
        return None
    try:
        # A date first: Python reads "2026-03-02" as a datetime at midnight too.
        day = parse_date(raw) if len(raw) == 10 else None
        value = None if day else parse_datetime(raw)
    except ValueError:
        value = day = None
    if value is None and day is not None:
        # A date alone is a whole day in the reader's zone ("until" includes that day).
        value = datetime.combine(day, time.min, tzinfo=timezone.get_current_timezone())
        if end:
            value = value + timedelta(days=1)
    if value is None:
        raise InvalidInput(
            f"{name} must be a date (2026-03-02) or an ISO 8601 datetime.",
            errors={name: ["Not a date or datetime."]},
        )
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    return value


def audit_filters_from(params: QueryDict) -> AuditFilters:
    action = (params.get("action") or "").strip()
    if action and action not in AuditAction.values:
        raise InvalidInput(f"Unknown action {action!r}.", errors={"action": ["Unknown action."]})
    team_raw = (params.get("team") or "").strip()
    try:
        team_id = int(team_raw) if team_raw else None
    except ValueError:
        raise InvalidInput("team must be a team id.", errors={"team": ["Not a team id."]}) from None
    address = (params.get("address") or "").strip()
    if address:
        try:
            address = str(ipaddress.ip_address(address))
        except ValueError:
            raise InvalidInput(
                "address must be an IP address (203.0.113.7 or 2001:db8::1).",
                errors={"address": ["Not an IP address."]},
            ) from None
    return AuditFilters(
        action=action,
        team_id=team_id,
        actor=(params.get("actor") or "").strip()[:150],
        address=address,
        since=_instant(params, "since"),
        until=_instant(params, "until", end=True),
    )
