"""The demo's integration, so a newcomer can send an alert the minute Tocsin runs: an
Events API v2 integration of Payments on its Checkout API, with a fixed, published key
(``DEMO_ROUTING_KEY``: a demo on a local database; a real integration's key is random
and shown once), and the lines seed_demo prints: the address, the key, a ready curl
command, and who is on call now in each team. Idempotent."""

import json
import shlex
from dataclasses import dataclass

from django.utils import timezone

from demo.teams import DemoTeam
from incidents.alerts.models import Integration, IntegrationKind, routing_key_hash
from incidents.alerts.services.integrations import integration_create, integration_url
from oncall.schedules.models import Schedule
from oncall.schedules.selectors import schedule_oncall_user_id, users_by_id

DEMO_TEAM = "payments"
DEMO_SERVICE = "checkout-api"
DEMO_INTEGRATION = "Demo monitoring"
# 32 characters, like a real key (some PagerDuty clients check the length).
DEMO_ROUTING_KEY = "tocsin-demo-key-0000000000000001"


@dataclass(frozen=True)
class DemoIntegration:
    integration: Integration
    url: str
    routing_key: str
    curl: str


def _curl(url: str, routing_key: str) -> str:
    body = {
        "routing_key": routing_key,
        "event_action": "trigger",
        "dedup_key": "demo-checkout-latency",
        "payload": {
            "summary": "Checkout latency p99 above 4 s",
            "source": "checkout-api-1",
            "severity": "critical",
        },
    }
    return (
        f"curl -X POST {shlex.quote(url)} -H 'Content-Type: application/json' "
        f"-d {shlex.quote(json.dumps(body))}"
    )


def integrations_demo_seed(teams: list[DemoTeam]) -> DemoIntegration | None:
    """The demo integration (made once, through the service managers use; its key then
    set to the published demo key), or None when the Payments team is not there."""
    demo = next((d for d in teams if d.team.slug == DEMO_TEAM), None)
    if demo is None:
        return None
    integration = Integration.objects.filter(team=demo.team, name=DEMO_INTEGRATION).first()
    if integration is None:
        service = next((s for s in demo.services if s.slug == DEMO_SERVICE), None)
        integration, _random_key = integration_create(
            actor=None,
            team=demo.team,
            name=DEMO_INTEGRATION,
            kind=IntegrationKind.EVENTS_V2,
            service=service,
        )
    if integration.routing_key_hash != routing_key_hash(DEMO_ROUTING_KEY):
        integration.routing_key_hash = routing_key_hash(DEMO_ROUTING_KEY)
        integration.routing_key_hint = DEMO_ROUTING_KEY[:6]
        integration.save(update_fields=["routing_key_hash", "routing_key_hint"])
    url = integration_url(integration, DEMO_ROUTING_KEY) or ""
    return DemoIntegration(
        integration=integration,
        url=url,
        routing_key=DEMO_ROUTING_KEY,
        curl=_curl(url, DEMO_ROUTING_KEY),
    )


def oncall_now_lines(teams: list[DemoTeam]) -> list[str]:
    """ "Payments: Aisha Okafor (aisha), schedule Primary" for each team's schedules."""
    now = timezone.now()
    lines = []
    for demo in teams:
        schedules = list(Schedule.objects.filter(team=demo.team).order_by("name"))
        if not schedules:
            lines.append(f"{demo.team.name}: no schedule")
            continue
        on_call = {s.pk: schedule_oncall_user_id(schedule=s, at=now) for s in schedules}
        people = users_by_id({uid for uid in on_call.values() if uid is not None})
        for schedule in schedules:
            user = people.get(on_call[schedule.pk])
            who = (
                f"{user.get_full_name() or user.get_username()} ({user.get_username()})"
                if user is not None
                else "nobody"
            )
            lines.append(f"{demo.team.name}: {who}, schedule {schedule.name}")
    return lines
