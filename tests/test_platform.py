"""The platform as a whole: settings, the OpenAPI schema, pages, admin and demo data."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

from incidents.models import Incident, IncidentStatus, TimelineEvent
from oncall.teams.models import Team

ROOT = Path(__file__).resolve().parent.parent


def test_production_settings_pass_the_deploy_check(tmp_path):
    env = {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": "x" * 20 + "a-long-random-production-secret-key-for-the-check",
        "ALLOWED_HOSTS": "tocsin.example.com",
        "TOCSIN_VAR_DIR": str(tmp_path),
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_settings_refuse_to_start_without_a_secret_key(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
    env.update({"DEBUG": "0", "TOCSIN_VAR_DIR": str(tmp_path)})
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


@pytest.mark.django_db
def test_openapi_schema_and_docs_are_served(client, member):
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    body = schema.content.decode()
    for path in [
        "/api/v1/incidents/{id}/acknowledge/",
        "/api/v1/teams/{id}/members/",
        "/api/v1/severities/",
        "/api/v1/services/",
    ]:
        assert path in body
    assert client.get("/api/docs/").status_code == 200


@pytest.mark.django_db
def test_home_requires_login_and_login_page_is_allauth(client, member):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    login_page = client.get("/accounts/login/")
    assert login_page.status_code == 200
    assert b"password" in login_page.content.lower()
    assert (
        client.post("/accounts/login/", {"login": "marco", "password": "pw-for-tests"}).status_code
        == 302
    )
    assert b"marco" in client.get("/").content


@pytest.mark.django_db
def test_admin_changelists_and_history_render(admin_client, incident):
    for url in [
        "/admin/oncall/team/",
        "/admin/oncall/teammembership/",
        "/admin/incidents/severity/",
        "/admin/incidents/service/",
        "/admin/incidents/incident/",
        "/admin/incidents/timelineevent/",
        f"/admin/incidents/incident/{incident.pk}/change/",
        f"/admin/incidents/incident/{incident.pk}/history/",
        "/admin/incidents/incident/?status__exact=triggered&q=broken",
    ]:
        assert admin_client.get(url).status_code == 200, url


@pytest.mark.django_db
def test_admin_declares_and_acknowledges_through_the_service(admin_client, team, member):
    from incidents.models import Severity

    response = admin_client.post(
        "/admin/incidents/incident/add/",
        {
            "team": team.pk,
            "title": "Declared in admin",
            "severity": Severity.objects.get(name="SEV2").pk,
            "summary": "",
            "impact": "",
            "timeline-TOTAL_FORMS": "0",
            "timeline-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    incident = Incident.objects.get(title="Declared in admin")
    assert incident.number == 1
    assert incident.timeline.get().kind == "declared"
    admin_client.post(
        "/admin/incidents/incident/",
        {"action": "acknowledge", "_selected_action": [incident.pk]},
    )
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.ACKNOWLEDGED


@pytest.mark.django_db
def test_seed_demo_is_idempotent_and_covers_every_severity_and_status():
    from postmortems.models import ActionItem, Postmortem

    def counts():
        return (
            Team.objects.count(),
            Incident.objects.count(),
            TimelineEvent.objects.count(),
            Postmortem.history.count(),
            ActionItem.history.count(),
        )

    call_command("seed_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115
    first = counts()
    call_command("seed_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115
    assert counts() == first
    assert first[0] == 3
    pairs = set(Incident.objects.values_list("severity__name", "status"))
    assert {s for s, _ in pairs} == {"SEV1", "SEV2", "SEV3", "SEV4"}
    assert {st for _, st in pairs} == set(IncidentStatus.values)
    resolved = Incident.objects.filter(status="resolved")
    assert all(
        i.acknowledged_at and i.triggered_at <= i.acknowledged_at <= i.resolved_at for i in resolved
    )
    # The demo pages somebody (issue 3): every team has a schedule and a default policy,
    # and each still-triggered incident is escalating with pages waiting for the worker.
    from incidents.paging.models import EscalationState, IncidentEscalation, Page, PageStatus
    from oncall.policies.models import EscalationPolicy
    from oncall.schedules.models import Schedule

    assert (Schedule.objects.count(), EscalationPolicy.objects.count()) == (3, 3)
    assert not Team.objects.filter(escalation_policy__isnull=True).exists()
    triggered = Incident.objects.filter(status="triggered")
    assert triggered.count() == 6
    assert (
        IncidentEscalation.objects.filter(
            incident__in=triggered, state=EscalationState.ACTIVE
        ).count()
        == 6
    )
    assert set(
        Page.objects.filter(incident__in=triggered).values_list("incident", flat=True)
    ) == set(triggered.values_list("pk", flat=True))
    assert (
        not Page.objects.exclude(incident__in=triggered)
        .exclude(status=PageStatus.CANCELLED)
        .exists()
    )
