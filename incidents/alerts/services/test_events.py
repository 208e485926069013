"""A test event for an integration, sent from its page: a document in the integration's
own format (an Events API v2 trigger, an Alertmanager notification, or a JSON document
with the webhook's configured paths filled in), read by that kind's parser and applied
by ``alert_ingest`` after the rate-limit check, as the keyed webhooks do. So it proves
the same path a real event takes: parsing, severity mapping, deduplication, the incident
and the pages its escalation sends.

Every test event of an integration has one dedup key: sending it again while its
incident is open counts a repeat on the same alert instead of opening another incident.

The Events API endpoint itself stores events in its inbox and applies them right after;
a test event is applied at once instead, so the page can link to its incident."""

from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser

from common.errors import Conflict
from incidents.alerts.models import Integration, IntegrationKind
from incidents.alerts.parsers import events_v2
from incidents.alerts.parsers.alertmanager import parse_notification
from incidents.alerts.parsers.events import TRIGGER, NormalizedEvent
from incidents.alerts.parsers.webhook import json_path_set, parse_webhook_for
from incidents.alerts.services.ingest import IngestResult, alert_ingest
from incidents.alerts.services.ratelimit import ingest_rate_check
from oncall.teams.services import team_require_manager

TEST_DEDUP_KEY = "tocsin-test-event"
TEST_SOURCE_SEVERITY = "info"
# A webhook's resolve field gets this value, which no sane resolve_value equals.
_NOT_RESOLVED = "triggered-by-a-tocsin-test"


def _summary(integration: Integration) -> str:
    return f"Test event from Tocsin for {integration.name}"


def _events_v2_event(integration: Integration, sender: str) -> NormalizedEvent:
    body = {
        "event_action": "trigger",
        "dedup_key": TEST_DEDUP_KEY,
        "payload": {
            "summary": _summary(integration),
            "source": "tocsin",
            "severity": TEST_SOURCE_SEVERITY,
            "class": "test",
            "custom_details": {"sent_by": sender, "test": True},
        },
        "client": "Tocsin",
    }
    return events_v2.parse_event(body)


def _alertmanager_event(integration: Integration, sender: str) -> NormalizedEvent:
    labels = {"alertname": "TocsinTestEvent", "severity": TEST_SOURCE_SEVERITY}
    annotations = {"summary": _summary(integration), "sent_by": sender}
    body = {
        "version": "4",
        "status": "firing",
        "receiver": "tocsin",
        "groupKey": TEST_DEDUP_KEY,
        "groupLabels": {"alertname": labels["alertname"]},
        "commonLabels": labels,
        "commonAnnotations": annotations,
        "externalURL": settings.SITE_URL,
        "alerts": [{"status": "firing", "labels": labels, "annotations": annotations}],
    }
    return parse_notification(body)


def _webhook_event(integration: Integration, sender: str) -> NormalizedEvent:
    body: dict[str, Any] = {"test": True, "message": _summary(integration)}
    for path, value in (
        (integration.title_path, _summary(integration)),
        (integration.dedup_key_path, TEST_DEDUP_KEY),
        (integration.severity_path, TEST_SOURCE_SEVERITY),
        (integration.resolve_path, _NOT_RESOLVED),
    ):
        if path:
            json_path_set(body, path, value)
    return parse_webhook_for(integration, body)


def integration_test_event_build(*, integration: Integration, sender: str) -> NormalizedEvent:
    """The test event in the integration's own format, read by that kind's parser."""
    if integration.kind == IntegrationKind.EVENTS_V2:
        return _events_v2_event(integration, sender)
    if integration.kind == IntegrationKind.ALERTMANAGER:
        return _alertmanager_event(integration, sender)
    return _webhook_event(integration, sender)


def integration_send_test_event(
    *, actor: AbstractBaseUser, integration: Integration
) -> IngestResult:
    """Send a test trigger through the integration (team managers and staff: it opens a
    real incident, which pages whoever is on call). Returns the ingest result: the alert,
    its incident, and whether it joined an open test alert."""
    team_require_manager(actor=actor, team=integration.team, to="send test events")
    if not integration.enabled:
        raise Conflict("This integration is turned off, so it would refuse the test event.")
    event = integration_test_event_build(
        integration=integration, sender=actor.get_username() if actor else "Tocsin"
    )
    if event.action != TRIGGER:
        raise Conflict(
            "The webhook's resolve setting reads the test event as resolved; "
            "check its resolve field and value."
        )
    ingest_rate_check(integration=integration)
    return alert_ingest(integration=integration, event=event)
