"""The admin pages of runbooks and communication load for staff; rules are editable."""

import pytest

from incidents.communication.models import EscalationNoticeRule, IncidentCommunication
from tests.incidents.factories import IncidentFactory
from tests.runbooks.factories import RunbookFactory

pytestmark = pytest.mark.django_db


PAGES = [
    "runbooks/runbook",
    "runbooks/runbookattachment",
    "incidents/escalationnoticerule",
    "incidents/teamcommunicationsettings",
    "incidents/maintenancewindow",
    "incidents/incidentcommunication",
    "incidents/statusupdate",
    "incidents/incidentchannel",
    # What was sent (reminders, notices, e-mails, Slack posts) is read in the outbox's.
    "outbox/message",
]


def test_changelists_and_forms_load(client, staff, team, service):
    runbook = RunbookFactory(team=team, title="Latency", services=[service])
    client.force_login(staff)
    for page in PAGES:
        assert client.get(f"/admin/{page}/").status_code == 200, page
    assert client.get(f"/admin/runbooks/runbook/{runbook.pk}/change/").status_code == 200
    rule = EscalationNoticeRule.objects.first()
    assert client.get(f"/admin/incidents/escalationnoticerule/{rule.pk}/change/").status_code == 200


def test_default_escalation_rules_are_seeded():
    rows = sorted(
        (r.severity.name, r.after_minutes, r.target, r.requires_customer_impact)
        for r in EscalationNoticeRule.objects.select_related("severity")
    )
    assert rows == [
        ("SEV1", 30, "team_lead", False),
        ("SEV1", 60, "engineering_manager", False),
        ("SEV1", 60, "executive_list", True),
        ("SEV2", 30, "team_lead", False),
        ("SEV2", 60, "engineering_manager", False),
        ("SEV2", 60, "executive_list", True),
    ]


def test_admin_override_goes_through_the_service(client, staff, team, member):
    incident = IncidentFactory(team=team, actor=member)
    client.force_login(staff)
    response = client.post(
        "/admin/incidents/incidentcommunication/add/",
        {
            "incident": incident.pk,
            "status_page_state": "major_outage",
            "public_title": "Checkout unavailable",
            "customer_impact": "unknown",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    comm = IncidentCommunication.objects.get(incident=incident)
    assert comm.status_page_state == "major_outage"
    assert incident.timeline.filter(kind="status_page_state").exists()
