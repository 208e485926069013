"""Review dates, the daily stale flag (once per period) and the accuracy prompt."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail

from incidents import services as incident_services
from incidents.models import Severity
from runbooks.models import Runbook
from runbooks.services import runbook_mark_tested
from runbooks.tasks import flag_stale_runbooks
from tests.runbooks.factories import RunbookFactory

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)


def flag_at(when, capture):
    with time_machine.travel(when, tick=False), capture(execute=True):
        return flag_stale_runbooks.delay().get()


def test_a_runbook_untested_for_90_days_is_flagged_once_per_period(
    team, manager, member, django_capture_on_commit_callbacks
):
    with time_machine.travel(T0, tick=False):
        runbook = RunbookFactory(team=team, title="Database outage", last_tested_at=T0)
    assert runbook.review_due_at == T0 + timedelta(days=90)

    assert flag_at(T0 + timedelta(days=89, hours=23), django_capture_on_commit_callbacks) == 0
    assert mail.outbox == []

    assert flag_at(T0 + timedelta(days=90), django_capture_on_commit_callbacks) == 1
    runbook.refresh_from_db()
    assert runbook.stale_flagged_at == T0 + timedelta(days=90)
    [email] = mail.outbox
    assert email.to == ["priya@example.com"]  # the team's managers only
    assert "Database outage" in email.subject

    assert flag_at(T0 + timedelta(days=91), django_capture_on_commit_callbacks) == 0
    assert flag_at(T0 + timedelta(days=120), django_capture_on_commit_callbacks) == 0
    assert len(mail.outbox) == 1

    # Tested again: a new period, flagged again 90 days later.
    with time_machine.travel(T0 + timedelta(days=121), tick=False):
        runbook_mark_tested(runbook=runbook, actor=member)
    assert flag_at(T0 + timedelta(days=210), django_capture_on_commit_callbacks) == 0
    assert flag_at(T0 + timedelta(days=211), django_capture_on_commit_callbacks) == 1
    assert len(mail.outbox) == 2
    assert runbook.history.filter(stale_flagged_at__isnull=False).exists()


def test_review_interval_is_editable(team):
    with time_machine.travel(T0, tick=False):
        runbook = RunbookFactory(team=team, review_interval_days=30)
    assert runbook.review_due_at == T0 + timedelta(days=30)


def test_tested_endpoint(api, team, member):
    with time_machine.travel(T0, tick=False):
        runbook = RunbookFactory(team=team)
    with time_machine.travel(T0 + timedelta(days=100), tick=False):
        client = api.as_user(member)
        assert client.get("/api/v1/runbooks/?stale=true").json()["count"] == 1
        response = client.post(f"/api/v1/runbooks/{runbook.pk}/tested/", {}, format="json")
        assert response.status_code == 200
        assert response.json()["stale"] is False
        assert client.get("/api/v1/runbooks/?stale=true").json()["count"] == 0
        future = (T0 + timedelta(days=200)).isoformat()
        assert (
            client.post(
                f"/api/v1/runbooks/{runbook.pk}/tested/", {"tested_at": future}, format="json"
            ).status_code
            == 400
        )


def test_resolving_asks_whether_the_runbook_was_accurate(
    api, team, member, service, django_capture_on_commit_callbacks
):
    runbook = RunbookFactory(team=team, title="Checkout down", services=[service])
    incident = incident_services.incident_create(
        actor=member,
        team=team,
        title="Checkout down",
        severity=Severity.objects.get(name="SEV2"),
        commander=member,
        services=[service],
    )
    with time_machine.travel(T0, tick=False), django_capture_on_commit_callbacks(execute=True):
        incident_services.incident_resolve(incident=incident, actor=member)
    prompt = incident.timeline.get(kind="runbook_accuracy_prompt")
    assert "Checkout down" in prompt.message
    assert mail.outbox[0].to == ["marco@example.com"]
    assert "Was the runbook accurate?" in mail.outbox[0].subject

    attachment = incident.runbooks.get()
    client = api.as_user(member)
    url = f"/api/v1/incidents/{incident.pk}/runbooks/{attachment.pk}/accuracy/"
    assert client.post(url, {"accurate": "maybe"}, format="json").status_code == 400
    with time_machine.travel(T0 + timedelta(minutes=5), tick=False):
        response = client.post(url, {"accurate": True, "comment": "Step 3 saved us"}, format="json")
    assert response.status_code == 200
    assert response.json()["accurate"] is True
    assert response.json()["answered_by"]["username"] == "marco"
    answer = incident.timeline.get(kind="runbook_accuracy_answer")
    assert "accurate: Step 3 saved us" in answer.message
    runbook.refresh_from_db()
    assert runbook.last_tested_at == T0 + timedelta(minutes=5)  # a verified use counts as a test
    assert (
        client.post(
            f"/api/v1/incidents/{incident.pk}/runbooks/999999/accuracy/", {"accurate": False}
        ).status_code
        == 404
    )


def test_flag_skips_rows_locked_elsewhere_and_is_idempotent(team):
    with time_machine.travel(T0, tick=False):
        RunbookFactory(team=team)
    with time_machine.travel(T0 + timedelta(days=100), tick=False):
        assert flag_stale_runbooks() == 1
        assert flag_stale_runbooks() == 0
    assert Runbook.objects.get().stale_flagged_for == T0 + timedelta(days=90)
