"""Reads for integrations and alerts, scoped to the user's teams."""

from typing import Any

from django.db.models import QuerySet

from common.errors import NotFound
from incidents.alerts.models import Alert, AlertEvent, Integration
from incidents.mirroring.models import PagerDutyMirror
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


def pagerduty_mirror_list(*, user: User) -> QuerySet[PagerDutyMirror]:
    return team_scoped(PagerDutyMirror.objects.select_related("service"), user=user).order_by(
        "team_id", "id"
    )


def pagerduty_mirror_get(*, user: User, mirror_id: Any) -> PagerDutyMirror:
    try:
        return pagerduty_mirror_list(user=user).get(pk=int(mirror_id))
    except (PagerDutyMirror.DoesNotExist, TypeError, ValueError, OverflowError):
        raise NotFound("PagerDuty mirror not found.") from None


def alert_event_list(*, alert: Alert) -> QuerySet[AlertEvent]:
    """Every raw event received for an alert, newest first."""
    return alert.events.order_by("-received_at", "-id")
