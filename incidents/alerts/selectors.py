"""Reads for integrations, alerts and their raw events, scoped to the user's teams, and
the alert search filter."""

from typing import Any

from django.db.models import Q, QuerySet

from common.errors import NotFound
from incidents.alerts.models import Alert, AlertEvent, Integration
from incidents.selectors import User
from oncall.teams.selectors import team_scoped


def integration_list(*, user: User) -> QuerySet[Integration]:
    return team_scoped(Integration.objects.all(), user=user).order_by("team_id", "name")


def integration_get(*, user: User, integration_id: Any) -> Integration:
    try:
        return integration_list(user=user).get(pk=int(integration_id))
    except (Integration.DoesNotExist, TypeError, ValueError, OverflowError):
        raise NotFound("Integration not found.") from None


def alert_list(*, user: User) -> QuerySet[Alert]:
    """Alerts with what a list renders (integration, severity, incident and its team)."""
    return team_scoped(
        Alert.objects.select_related("integration", "severity", "incident__team"),
        user=user,
        team_field="integration__team",
    ).order_by("-last_seen", "-id")


def alert_get(*, user: User, alert_id: Any) -> Alert:
    try:
        return alert_list(user=user).get(pk=int(alert_id))
    except (Alert.DoesNotExist, TypeError, ValueError, OverflowError):
        raise NotFound("Alert not found.") from None


def alert_event_list(*, alert: Alert) -> QuerySet[AlertEvent]:
    """Every raw event received for an alert, newest first."""
    return alert.events.order_by("-received_at", "-id")


def alert_search_filter(text: str) -> Q:
    """Alerts whose summary, name, dedup key, source or raw event contain ``text``."""
    return (
        Q(summary__icontains=text)
        | Q(name__icontains=text)
        | Q(dedup_key__icontains=text)
        | Q(source__icontains=text)
        | Q(payload__icontains=text)  # the raw event, as text
    )
