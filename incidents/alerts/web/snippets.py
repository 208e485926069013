"""What to paste into the sending tool, per integration kind: the address, a
ready-to-run command or configuration, built from SITE_URL (through
``integration_url``, the one place the addresses are made). With the key (right after
creating or rotating it) the snippets are complete; afterwards they show where the key
goes. Pure: no database access."""

import json
import shlex
from dataclasses import dataclass

from django.conf import settings

from incidents.alerts.models import Integration, IntegrationKind
from incidents.alerts.parsers.webhook import json_path_set
from incidents.alerts.services.integrations import integration_url

KEY_PLACEHOLDER = "YOUR_INTEGRATION_KEY"


@dataclass(frozen=True)
class Snippet:
    slug: str  # the element id's suffix
    title: str
    text: str
    help: str = ""


def _curl(url: str, body: dict) -> str:
    return (
        f"curl -X POST {shlex.quote(url)} \\\n"
        "  -H 'Content-Type: application/json' \\\n"
        f"  -d {shlex.quote(json.dumps(body))}"
    )


def _events_v2(key: str) -> list[Snippet]:
    url = integration_url_for(IntegrationKind.EVENTS_V2, key)
    body = {
        "routing_key": key,
        "event_action": "trigger",
        "dedup_key": "disk-full-db1",
        "payload": {"summary": "Disk 92% full on db1", "source": "db1", "severity": "critical"},
    }
    return [
        Snippet(
            "url",
            "Events API address",
            url,
            "Send events here with POST. Tools built for PagerDuty take the base address "
            f"({settings.SITE_URL}) and the key as their integration or routing key.",
        ),
        Snippet(
            "curl",
            "Try it with curl",
            _curl(url, body),
            'To close the alert, send the same dedup_key with "event_action": "resolve".',
        ),
    ]


def _alertmanager(key: str) -> list[Snippet]:
    url = integration_url_for(IntegrationKind.ALERTMANAGER, key)
    yaml = (
        "route:\n"
        "  receiver: tocsin\n"
        "receivers:\n"
        "  - name: tocsin\n"
        "    webhook_configs:\n"
        f"      - url: '{url}'\n"
        "        send_resolved: true\n"
    )
    return [
        Snippet("url", "Webhook address", url, "The key is part of the address: keep it secret."),
        Snippet(
            "yaml",
            "alertmanager.yml",
            yaml,
            "Add the receiver to your Alertmanager configuration (or add the tocsin "
            "receiver to an existing route), then reload Alertmanager. With send_resolved, "
            "the incident resolves when every alert of the group has.",
        ),
    ]


def _webhook(integration: Integration, key: str) -> list[Snippet]:
    url = integration_url_for(IntegrationKind.WEBHOOK, key)
    fields = [
        ("title", integration.title_path, "Disk 92% full on db1"),
        ("dedup key", integration.dedup_key_path, "disk-full-db1"),
        ("severity", integration.severity_path, "critical"),
    ]
    example: dict = {}
    for _label, path, value in fields:
        if path:
            json_path_set(example, path, value)
    read = "; ".join(f"{label} from {path}" for label, path, _value in fields if path)
    if read:
        explained = f"This integration reads the {read}."
    else:
        example = {"title": "Disk 92% full on db1", "host": "db1"}
        explained = (
            "This integration names no fields, so its alerts are titled "
            f"“Alert from {integration.name}”."
        )
    if not integration.dedup_key_path:
        explained += " Without a dedup key field, identical documents count as one alert."
    return [
        Snippet(
            "url",
            "Webhook address",
            url,
            "POST any JSON document here (Content-Type: application/json). There is no "
            "signature header: the key in the address is what proves the sender, so keep "
            "the address secret.",
        ),
        Snippet("curl", "Try it with curl", _curl(url, example), explained),
    ]


def integration_url_for(kind: str, key: str) -> str:
    return integration_url(Integration(kind=kind), key) or ""


def integration_snippets(integration: Integration, key: str | None) -> list[Snippet]:
    """The snippets for the integration's kind, with ``key`` in them, or the
    placeholder when the key is no longer known."""
    key = key or KEY_PLACEHOLDER
    if integration.kind == IntegrationKind.EVENTS_V2:
        return _events_v2(key)
    if integration.kind == IntegrationKind.ALERTMANAGER:
        return _alertmanager(key)
    return _webhook(integration, key)
