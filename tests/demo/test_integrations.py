"""seed_demo's integration: made once, its published key works on the Events API, and
the lines printed at the end (address, key, curl, who is on call now) are right."""

import io
import json
import shlex

import pytest
from django.core.management import call_command
from django.test import Client, TestCase

from demo.integrations import DEMO_ROUTING_KEY
from incidents.alerts.models import Alert, Integration

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded_twice(settings, eager_celery):
    settings.ALERT_INBOX_KICK_SECONDS = 0
    call_command("seed_demo", stdout=io.StringIO())
    output = io.StringIO()
    call_command("seed_demo", stdout=output)
    return output.getvalue()


def test_seed_demo_prints_a_working_integration_and_who_is_on_call(seeded_twice, settings):
    output = seeded_twice
    integration = Integration.objects.get(name="Demo monitoring")  # once, after two runs
    assert (integration.team.name, integration.kind, integration.service.slug) == (
        "Payments",
        "events_v2",
        "checkout-api",
    )
    assert f"  URL: {settings.SITE_URL}/v2/enqueue\n" in output
    assert f"  Key: {DEMO_ROUTING_KEY}\n" in output
    curl = next(line.strip() for line in output.splitlines() if line.strip().startswith("curl "))
    words = shlex.split(curl)
    url, body = words[3], json.loads(words[words.index("-d") + 1])
    assert url == f"{settings.SITE_URL}/v2/enqueue" and body["routing_key"] == DEMO_ROUTING_KEY

    # The printed command works: the event is taken and opens an incident.
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = Client().post(
            url.removeprefix(settings.SITE_URL),
            data=json.dumps(body),
            content_type="application/json",
        )
    assert response.status_code == 202, response.content
    alert = Alert.objects.get(integration=integration)
    assert alert.incident.title == "Checkout latency p99 above 4 s"

    on_call = output.split("On call now:\n", 1)[1].splitlines()[:3]
    assert [line.split(":")[0].strip() for line in on_call] == ["Payments", "Platform", "Mobile"]
    assert all(", schedule Primary" in line for line in on_call)
    assert all("nobody" not in line for line in on_call)
