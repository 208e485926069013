"""The platform as a whole: settings, the OpenAPI schema, pages and admin."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from incidents.models import Incident, IncidentStatus

ROOT = Path(__file__).resolve().parent.parent


def test_production_settings_pass_the_deploy_check(tmp_path):
    env = {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": "x" * 20 + "a-long-random-production-secret-key-for-the-check",
        "ALLOWED_HOSTS": "tocsin.example.com",
        "TOCSIN_VAR_DIR": str(tmp_path),
        # The production settings, not the test settings pytest put in the environment.
        "DJANGO_SETTINGS_MODULE": "config.settings",
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
    env.update(
        {"DEBUG": "0", "TOCSIN_VAR_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "config.settings"}
    )
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
