"""Text limits hold in the services too, for the web forms and the admin that do not pass
through the API's serializers; and the API answers an over-long text with a 400 naming
the field."""

import pytest

from common.errors import InvalidInput
from common.limits import POSTMORTEM_SECTION_LENGTH, RUNBOOK_BODY_LENGTH, RUNBOOK_TITLE_LENGTH
from runbooks.models import Runbook
from runbooks.services import runbook_create, runbook_update


def test_runbook_body_over_the_limit_is_refused_by_the_service(team, member):
    with pytest.raises(InvalidInput) as refused:
        runbook_create(
            actor=member, team=team, title="Restart", body="x" * (RUNBOOK_BODY_LENGTH + 1)
        )
    assert "body" in refused.value.errors
    assert not Runbook.objects.exists()


def test_runbook_at_the_limit_is_kept_and_an_update_past_it_is_refused(team, member):
    runbook = runbook_create(
        actor=member, team=team, title="t" * RUNBOOK_TITLE_LENGTH, body="x" * RUNBOOK_BODY_LENGTH
    )
    with pytest.raises(InvalidInput) as refused:
        runbook_update(runbook=runbook, actor=member, body="y" * (RUNBOOK_BODY_LENGTH + 1))
    assert list(refused.value.errors) == ["body"]
    runbook.refresh_from_db()
    assert runbook.body == "x" * RUNBOOK_BODY_LENGTH


def test_api_refuses_an_over_long_team_description(api, member):
    response = api.as_user(member).post(
        "/api/v1/teams/", {"name": "Search", "description": "d" * 2_001}, format="json"
    )
    assert response.status_code == 400
    assert "description" in response.json()["errors"]


def test_api_refuses_an_over_long_severity_name(api, team, member):
    response = api.as_user(member).post(
        "/api/v1/incidents/",
        {"team": team.pk, "title": "Checkout down", "severity": "S" * 11},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["errors"]["severity"] == ["A severity name has at most 10 characters."]


def test_postmortem_section_over_the_limit_is_refused_by_the_service(member, team):
    from postmortems.services.editing import postmortem_update

    # Refused before the postmortem is even looked up: nothing to lock for a text too long.
    with pytest.raises(InvalidInput) as refused:
        postmortem_update(
            postmortem=10**9, actor=member, root_cause="r" * (POSTMORTEM_SECTION_LENGTH + 1)
        )
    assert list(refused.value.errors) == ["root_cause"]


def test_api_refuses_an_over_long_handoff_time_with_a_400(api, team, manager, alice):
    layer = {"users": [alice.pk], "handoff_time": "09:00:00:00", "start": "2026-03-02"}
    response = api.as_user(manager).post(
        "/api/v1/schedules/",
        {"team": team.pk, "name": "Primary", "time_zone": "UTC", "layers": [layer]},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["errors"]["layers"]


def test_notes_and_updates_over_the_limit_are_refused_by_the_services(declare, team, member):
    """The web form and the admin reach these services without the API's serializer."""
    from common.limits import NOTE_LENGTH
    from incidents.communication.services.updates import status_update_post
    from incidents.services import incident_add_note

    incident = declare(team, member)
    too_long = "x" * (NOTE_LENGTH + 1)
    with pytest.raises(InvalidInput) as refused:
        incident_add_note(incident=incident, actor=member, message=too_long)
    assert "message" in refused.value.errors
    with pytest.raises(InvalidInput) as refused:
        status_update_post(incident=incident, actor=member, message=too_long)
    assert "message" in refused.value.errors
    assert not incident.timeline.filter(message=too_long).exists()
    incident_add_note(incident=incident, actor=member, message="x" * NOTE_LENGTH)
