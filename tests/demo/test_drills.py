"""seed_demo's drills (demo/drills.py): a completed game day three weeks ago whose report
has real figures, a finding and an action item; an unannounced one coming this week for
another team; nothing left to send; no duplicates on a second run; the drill incident
counts in no metric."""

import os
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from incidents.communication.services.emails import incident_group
from incidents.models import Incident
from incidents.reporting.providers import MetricsScope
from incidents.reporting.selectors import incident_metrics
from oncall.teams.models import Team
from outbox.models import Message, MessageStatus
from readiness.drills.models import Drill, DrillFinding
from readiness.drills.services import drill_group

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded_twice():
    def counts():
        return (
            Drill.objects.count(),
            Drill.history.count(),
            DrillFinding.objects.count(),
            Incident.objects.filter(is_drill=True).count(),
        )

    call_command("seed_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115
    first = counts()
    call_command("seed_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115
    assert counts() == first
    return first


def test_the_drills_page_shows_a_completed_and_an_upcoming_drill(seeded_twice, api, client):
    from django.contrib.auth import get_user_model

    assert seeded_twice[0] == 2 and seeded_twice[3] == 1
    now = timezone.now()
    marco = get_user_model().objects.get(username="marco")  # in Payments and Platform
    listed = api.as_user(marco).get("/api/v1/drills/").json()["results"]
    assert [(d["status"], d["announced"]) for d in listed] == [
        ("scheduled", False),
        ("completed", True),
    ]
    upcoming, done = listed
    assert upcoming["team"] == Team.objects.get(slug="platform").pk
    assert upcoming["service"] is not None and upcoming["runbook"] is not None
    scheduled = Drill.objects.get(pk=upcoming["id"]).scheduled_at
    assert now < scheduled < now + timedelta(days=7)

    drill = Drill.objects.select_related("incident", "runbook").get(pk=done["id"])
    assert drill.team.slug == "payments" and drill.runbook.title == "Database outage"
    assert drill.severity.name == "SEV2"
    started = drill.started_at
    assert now - timedelta(days=22) < started < now - timedelta(days=20)
    assert drill.scheduled_at == started and drill.created_at < started
    assert drill.incident.triggered_at == started and drill.incident.is_drill

    report = api.as_user(marco).get(f"/api/v1/drills/{drill.pk}/").json()
    measures = {m["key"]: m for m in report["measures"]}
    assert measures["acknowledge"]["actual_seconds"] == 4 * 60
    assert measures["acknowledge"]["met"] is True
    assert measures["runbook"]["met"] is True
    assert measures["first_update"]["actual_seconds"] == 12 * 60
    assert measures["first_update"]["met"] is False
    assert measures["resolve"]["actual_seconds"] == 95 * 60
    assert measures["resolve"]["met"] is True
    [finding] = report["findings"]
    assert finding["measure"] == "first_update" and finding["action_item"] is not None
    item = DrillFinding.objects.get(pk=finding["id"]).action_item
    assert item.incident_id == drill.incident_id and item.created_at < now - timedelta(days=19)
    assert drill.completed_at - drill.incident.resolved_at < timedelta(minutes=2)
    # The timeline reads as it happened three weeks ago, not today.
    assert not drill.incident.timeline.filter(created_at__gt=drill.completed_at).exists()

    # The pages a new user opens show both.
    client.force_login(marco)
    page = client.get("/drills/")
    assert page.status_code == 200
    assert "Checkout database fails over" in page.text and "Redis cache node lost" in page.text
    detail = client.get(f"/drills/{drill.pk}/")
    assert detail.status_code == 200 and finding["title"] in detail.text

    # Nothing of the replay waits to be sent when the demo starts.
    groups = [drill_group(d.pk) for d in Drill.objects.all()] + [incident_group(drill.incident_id)]
    assert not Message.objects.filter(group__in=groups, status=MessageStatus.QUEUED).exists()


def test_the_drill_incident_counts_in_no_metric(seeded_twice):
    now = timezone.now()
    payments = Team.objects.get(slug="payments")
    scope = MetricsScope(
        team_ids=[payments.pk],
        since=now - timedelta(days=30),
        until=now,
        severity=None,
        now=now,
    )
    drill_incident = Incident.objects.get(is_drill=True)
    assert scope.since < drill_incident.triggered_at < scope.until
    real = Incident.objects.filter(
        team=payments, is_drill=False, triggered_at__gte=scope.since, triggered_at__lt=scope.until
    ).count()
    assert incident_metrics(scope)["incident_count"] == real
