"""The communication promise end to end through the public surfaces: an alert opens an
incident with the right runbook on top; the commander is reminded to update the status
page and does; the public page shows the update and nothing private; the Slack channel
receives the story; a runbook not tested for 90 days is flagged."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail

from incidents import services
from incidents.communication.tasks import remind_communications
from incidents.models import Severity
from runbooks.seed import starter_runbooks_install
from runbooks.services import runbook_attach_matching
from runbooks.tasks import flag_stale_runbooks
from tests.incidents.factories import ServiceFactory

pytestmark = pytest.mark.django_db


T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_the_story(api, client, slack, team, member, manager, django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks
    db = ServiceFactory(team=team, name="Payments database", slug="postgres-main", public=True)
    ServiceFactory(team=team, name="Checkout API", slug="checkout-api", public=True)
    with time_machine.travel(T0 - timedelta(days=1), tick=False):
        starter_runbooks_install(team=team, tested_days_ago={"Database outage": 89})

    # An alert opens an incident (what alert ingestion will do), then attaches by alert.
    with time_machine.travel(T0, tick=False), capture(execute=True):
        incident = services.incident_create(
            actor=None,
            team=team,
            title="PostgresDown on postgres-main",
            severity=Severity.objects.get(name="SEV1"),
            commander=member,
            services=[db],
            source="alertmanager",
        )
        runbook_attach_matching(
            incident=incident,
            alert_name="PostgresDown",
            labels={"component": "postgres", "instance": "db-1"},
        )
    rows = api.as_user(member).get(f"/api/v1/incidents/{incident.pk}/runbooks/").json()
    assert rows[0]["runbook"]["title"] == "Database outage"
    assert "pg_isready" in rows[0]["runbook"]["body_html"]

    # Five minutes without a public update: the commander is reminded, once.
    for minute in (4, 5, 6):
        with time_machine.travel(T0 + timedelta(minutes=minute), tick=False), capture(execute=True):
            remind_communications.delay()
    reminders = [m for m in mail.outbox if "Post a public status update" in m.subject]
    assert [m.to for m in reminders] == [["marco@example.com"]]

    # The commander posts a public and an internal update through the API.
    with time_machine.travel(T0 + timedelta(minutes=7), tick=False), capture(execute=True):
        for audience, message in [
            ("public", "Payments are failing; we are failing over the database."),
            ("internal", "db-1 disk full, WAL slot stuck (marco)"),
        ]:
            response = api.as_user(member).post(
                f"/api/v1/incidents/{incident.pk}/updates/",
                {"message": message, "audience": audience},
            )
            assert response.status_code == 201

    # The public page shows the public update and nothing private.
    api.credentials()
    with time_machine.travel(T0 + timedelta(minutes=8), tick=False):
        page = client.get("/status/").content.decode()
        status = api.get("/api/v1/status/").json()
        feed = client.get("/status/feed.atom").content.decode()
    for text in (page, str(status), feed):
        assert "Payments are failing; we are failing over the database." in text
        assert "WAL slot" not in text
        assert "marco" not in text
        assert "PAY-" not in text
    assert {s["name"]: s["state"] for s in status["services"]} == {
        "Checkout API": "operational",
        "Payments database": "major_outage",
    }

    # The Slack channel received the story.
    texts = [c.params["text"] for c in slack.of("chat.postMessage")]
    assert texts[0].startswith("PAY-1 declared as SEV1")
    assert texts[1:] == [
        "PAY-1: reminder: no public status update within 5 minutes; post one now.",
        "PAY-1: Public update (triggered): Payments are failing; we are failing over the database.",
        "PAY-1: Internal update (triggered): db-1 disk full, WAL slot stuck (marco)",
    ]

    # A runbook not tested for 90 days is flagged, and its team's managers hear of it.
    with time_machine.travel(T0 + timedelta(days=2), tick=False), capture(execute=True):
        assert flag_stale_runbooks.delay().get() >= 1
    stale = [m for m in mail.outbox if "due for review" in m.subject]
    assert any("Database outage" in m.subject and m.to == ["priya@example.com"] for m in stale)
