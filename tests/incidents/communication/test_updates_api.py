"""POST/GET /api/v1/incidents/{id}/updates/ and the status-page override endpoint."""

import pytest
from django.core import mail

from incidents.communication.models import (
    CommunicationEventKind,
    StatusUpdate,
    TeamCommunicationSettings,
)
from outbox.models import Message, MessageStatus
from outbox.services import outbox_send_due
from outbox.transports.email import message_id
from tests.incidents.factories import IncidentFactory
from tests.oncall.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_posting_an_update_locks_records_and_times_it(api, incident, member):
    response = api.as_user(member).post(
        f"/api/v1/incidents/{incident.pk}/updates/",
        {"message": "  We identified the cause. ", "audience": "public"},
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["message"] == "We identified the cause."
    assert body["audience"] == "public"
    assert body["status"] == "triggered"
    assert body["author"] == {"id": member.pk, "username": "marco"}
    event = incident.timeline.get(kind=CommunicationEventKind.STATUS_UPDATE)
    assert event.actor == member
    assert event.data["audience"] == "public"

    listed = api.get(f"/api/v1/incidents/{incident.pk}/updates/").json()
    assert [u["message"] for u in listed["results"]] == ["We identified the cause."]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"message": "", "audience": "public"}, "message"),
        ({"message": "x", "audience": "everyone"}, "audience"),
        ({"audience": "public"}, "message"),
        ({"message": ["x"], "audience": "public"}, "message"),
    ],
)
def test_bad_updates_are_400_with_the_error_shape(api, incident, member, payload, field):
    response = api.as_user(member).post(
        f"/api/v1/incidents/{incident.pk}/updates/", payload, format="json"
    )
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert not StatusUpdate.objects.exists()


def test_another_teams_incident_is_not_found(api, incident, outsider):
    client = api.as_user(outsider)
    assert (
        client.post(
            f"/api/v1/incidents/{incident.pk}/updates/", {"message": "hi", "audience": "public"}
        ).status_code
        == 404
    )
    assert client.get(f"/api/v1/incidents/{incident.pk}/updates/").status_code == 404
    assert client.get("/api/v1/incidents/999999/updates/").status_code == 404


def test_anonymous_cannot_post(api, incident):
    response = api.post(
        f"/api/v1/incidents/{incident.pk}/updates/", {"message": "x", "audience": "public"}
    )
    assert response.status_code in (401, 403)


def test_public_updates_go_to_the_stakeholder_list(
    api, team, member, django_capture_on_commit_callbacks
):
    TeamCommunicationSettings.objects.create(
        team=team, stakeholder_emails="support@example.com\nsales@example.com"
    )
    sales = UserFactory(username="sam", email="sales@example.com")
    incident = IncidentFactory(team=team, actor=member, title="Checkout errors")
    client = api.as_user(member)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            f"/api/v1/incidents/{incident.pk}/updates/",
            {"message": "Internal detail", "audience": "internal"},
        )
        public = client.post(
            f"/api/v1/incidents/{incident.pk}/updates/",
            {"message": "Checkout is recovering.", "audience": "public"},
        ).json()
    outbox_send_due()
    # One e-mail per stakeholder: the list is not shown to everyone on it.
    assert sorted(m.to for m in mail.outbox) == [["sales@example.com"], ["support@example.com"]]
    assert all("Checkout is recovering." in m.body for m in mail.outbox)
    assert all("Internal detail" not in m.body for m in mail.outbox)
    assert incident.timeline.filter(kind=CommunicationEventKind.STAKEHOLDERS_NOTIFIED).count() == 1
    sent = Message.objects.filter(purpose="communication.update").order_by("address")
    assert [(m.key, m.recipient, m.group, m.status) for m in sent] == [
        (
            f"communication.update:{public['id']}/sales@example.com",
            sales,
            f"incident:{incident.pk}",
            MessageStatus.SENT,
        ),
        (
            f"communication.update:{public['id']}/support@example.com",
            None,
            f"incident:{incident.pk}",
            MessageStatus.SENT,
        ),
    ]
    assert sorted(m.extra_headers["Message-ID"] for m in mail.outbox) == sorted(
        message_id(m.key) for m in sent
    )
    assert outbox_send_due() == 0 and len(mail.outbox) == 2


def test_private_incident_public_updates_are_not_emailed(
    api, team, member, django_capture_on_commit_callbacks
):
    TeamCommunicationSettings.objects.create(team=team, stakeholder_emails="support@example.com")
    incident = IncidentFactory(team=team, actor=member, private=True)
    with django_capture_on_commit_callbacks(execute=True):
        api.as_user(member).post(
            f"/api/v1/incidents/{incident.pk}/updates/", {"message": "x", "audience": "public"}
        )
    assert mail.outbox == []


def test_status_page_override_endpoint(api, incident, member):
    client = api.as_user(member)
    url = f"/api/v1/incidents/{incident.pk}/status-page/"
    assert client.get(url).json() == {
        "status_page_state": "",
        "public_title": "",
        "customer_impact": None,
    }
    response = client.patch(url, {"status_page_state": "major_outage"}, format="json")
    assert response.status_code == 200
    assert response.json()["status_page_state"] == "major_outage"
    assert client.patch(url, {"status_page_state": "on_fire"}, format="json").status_code == 400
    assert client.patch(url, {"colour": "red"}, format="json").status_code == 400
    assert client.patch(url, {}, format="json").status_code == 400


def test_a_service_is_made_public_through_the_api(api, service, member):
    client = api.as_user(member)
    assert client.get(f"/api/v1/services/{service.pk}/").json()["public"] is False
    response = client.patch(f"/api/v1/services/{service.pk}/", {"public": True}, format="json")
    assert response.status_code == 200
    assert response.json()["public"] is True
    assert [s["name"] for s in api.get("/api/v1/status/").json()["services"]] == ["Checkout API"]


def test_list_queries_do_not_grow(api, team, member, service, django_assert_max_num_queries):
    from incidents.communication.services.updates import status_update_post
    from runbooks.services import runbook_attach_matching
    from tests.runbooks.factories import RunbookFactory

    incident = IncidentFactory(team=team, actor=member, services=[service])
    client = api.as_user(member)

    def add(n, start):
        for i in range(start, start + n):
            status_update_post(incident=incident, actor=member, message=f"u{i}", audience="public")
            RunbookFactory(team=team, title=f"R{i}", services=[service])
        runbook_attach_matching(incident=incident)

    add(2, 0)
    with django_assert_max_num_queries(6):
        client.get(f"/api/v1/incidents/{incident.pk}/updates/")
    with django_assert_max_num_queries(6):
        client.get(f"/api/v1/incidents/{incident.pk}/runbooks/")
    add(8, 2)
    with django_assert_max_num_queries(6):
        assert client.get(f"/api/v1/incidents/{incident.pk}/updates/").json()["count"] == 10
    with django_assert_max_num_queries(6):
        assert len(client.get(f"/api/v1/incidents/{incident.pk}/runbooks/").json()) == 10


def test_a_stakeholder_update_through_the_api_is_emailed_only(
    api, team, member, django_capture_on_commit_callbacks
):
    incident = IncidentFactory(team=team, actor=member)
    url = f"/api/v1/incidents/{incident.pk}/updates/"
    client = api.as_user(member)
    refused = client.post(url, {"message": "ETA 1 h", "audience": "stakeholders"})
    assert refused.status_code == 400
    assert refused.json()["detail"] == "Team Payments has no stakeholder list to e-mail."
    TeamCommunicationSettings.objects.create(team=team, stakeholder_emails="cs@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        created = client.post(url, {"message": "ETA 1 h", "audience": "stakeholders"})
    outbox_send_due()
    assert created.status_code == 201
    assert [m.to for m in mail.outbox] == [["cs@example.com"]]
    assert api.get("/api/v1/status/").json()["incidents"] == []
