"""The incident page's "Share update", through the pages (Django test client): the
composer and its preview of the status page's card, each audience, the status-page
settings it saves, the stakeholder e-mail, team membership and bad input, and the
status-page deadline reminder it satisfies."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail

from incidents import services
from incidents.communication.models import (
    CommunicationEventKind,
    IncidentCommunication,
    StatusUpdate,
    TeamCommunicationSettings,
)
from incidents.communication.services.updates import status_update_post
from incidents.communication.tasks import remind_communications
from incidents.models import Severity
from outbox.services import outbox_send_due
from tests.incidents.factories import ServiceFactory

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
K = CommunicationEventKind


@pytest.fixture
def checkout(team):
    return ServiceFactory(team=team, name="Checkout", slug="checkout", public=True)


@pytest.fixture
def sev1(team, member, checkout):
    with time_machine.travel(T0, tick=False):
        return services.incident_create(
            actor=member,
            team=team,
            title="Card processor returns 502",
            severity=Severity.objects.get(name="SEV1"),
            commander=member,
            services=[checkout],
            impact="Card payments fail for about 30% of customers.",
        )


def share(client, incident, *, htmx=True, **fields):
    data = {"audience": "public", "message": "", "public_title": "", "status_page_state": ""}
    data.update(fields)
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    return client.post(f"/incidents/{incident.pk}/share-update/", data, **headers)


def test_the_incident_page_has_the_composer_where_reminders_point(signed_in, sev1):
    body = signed_in.get(f"/incidents/{sev1.pk}/").content.decode()
    assert '<section id="share-update"' in body
    assert f'hx-post="/incidents/{sev1.pk}/share-update/preview/"' in body
    # Public is the default for an incident the status page can show; nothing is on it yet.
    assert 'value="public" id="id_audience_0" required checked' in body
    assert "Not on the status page yet" in body
    assert "Card payments fail for about 30% of customers." in body  # the impact


def test_a_public_update_from_the_page_publishes_it_with_its_public_title(
    signed_in, client, sev1, member
):
    response = share(
        signed_in,
        sev1,
        message="Some card payments fail; we are rolling back.",
        public_title="Card payments failing",
        status_page_state="partial_outage",
        customer_impact="yes",
    )
    assert response.status_code == 200
    assert response["HX-Trigger"] == "incident-changed"
    body = response.content.decode()
    assert body.lstrip().startswith('<section id="share-update"')
    assert "Public update shared: it is on the status page." in body
    assert "On the status page" in body
    update = StatusUpdate.objects.get()
    assert (update.audience, update.author, update.status) == ("public", member, "triggered")
    comm = IncidentCommunication.objects.get(incident=sev1)
    assert (comm.public_title, comm.status_page_state, comm.customer_impact) == (
        "Card payments failing",
        "partial_outage",
        True,
    )
    event = sev1.timeline.get(kind=K.STATUS_PAGE_STATE)
    assert "public title “Card payments failing”" in event.message
    assert "status_page_state" not in event.message  # plain words, not field names
    page = client.get("/status/").content.decode()
    assert "Card payments failing" in page and "Partial outage" in page
    assert "Card processor returns 502" not in page


def test_the_preview_shows_the_public_card_and_never_the_internal_title(signed_in, sev1):
    url = f"/incidents/{sev1.pk}/share-update/preview/"
    response = signed_in.post(
        url, {"audience": "public", "message": "We are on it.", "status_page_state": ""}
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "The status page will show:" in body
    assert "Issue affecting Checkout" in body  # no public title yet: the neutral one
    assert "Major outage" in body  # SEV1's derived state
    assert "We are on it." in body
    assert "Card processor returns 502" not in body
    body = signed_in.post(
        url,
        {
            "audience": "public",
            "message": "x",
            "public_title": "Payments degraded",
            "status_page_state": "degraded_performance",
        },
    ).content.decode()
    assert "Payments degraded" in body and "Degraded performance" in body
    assert not StatusUpdate.objects.exists()  # a preview saves nothing
    internal = signed_in.post(url, {"audience": "internal", "message": "secret"}).content
    assert b"The status page does not change." in internal and b"secret" not in internal
    # Rubbish is ignored, never an error.
    odd = signed_in.post(url, {"audience": "everyone", "status_page_state": "on_fire"})
    assert odd.status_code == 200


def test_the_preview_says_when_the_status_page_cannot_show_the_incident(
    signed_in, team, member, checkout
):
    private = services.incident_create(
        actor=member,
        team=team,
        title="Breach",
        severity=Severity.objects.get(name="SEV1"),
        services=[checkout],
        private=True,
    )
    body = signed_in.get(f"/incidents/{private.pk}/").content.decode()
    assert "This incident is private: the status page never shows it." in body
    assert 'value="internal" id="id_audience_2" required checked' in body
    hidden = services.incident_create(
        actor=member, team=team, title="Batch job", severity=Severity.objects.get(name="SEV3")
    )
    body = signed_in.get(f"/incidents/{hidden.pk}/").content.decode()
    assert "None of this incident&#x27;s services is public" in body


def test_a_stakeholder_update_is_emailed_and_stays_off_the_status_page(
    signed_in, client, team, sev1, django_capture_on_commit_callbacks
):
    TeamCommunicationSettings.objects.create(team=team, stakeholder_emails="cs@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        response = share(signed_in, sev1, audience="stakeholders", message="Fix within 1 h.")
    outbox_send_due()
    assert "Update e-mailed to the stakeholders." in response.content.decode()
    assert [m.to for m in mail.outbox] == [["cs@example.com"]]
    assert "Fix within 1 h." in mail.outbox[0].body
    assert "/status/" not in mail.outbox[0].body
    assert sev1.timeline.filter(kind=K.STAKEHOLDERS_NOTIFIED).count() == 1
    assert "Fix within 1 h." not in client.get("/status/").content.decode()
    assert client.get("/api/v1/status/").json()["incidents"] == []


def test_an_internal_update_stays_with_the_team(signed_in, client, sev1):
    share(signed_in, sev1, audience="internal", message="Suspect the Visa BIN table.")
    assert StatusUpdate.objects.get().audience == "internal"
    assert client.get("/api/v1/status/").json()["incidents"] == []
    timeline = signed_in.get(f"/incidents/{sev1.pk}/").content.decode()
    assert "Suspect the Visa BIN table." in timeline


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"message": "  "}, "Write the update to share."),
        ({"message": "x", "audience": "everyone"}, "Choose one of the audiences listed."),
        ({"message": "x", "status_page_state": "on_fire"}, "Choose one of the states listed."),
        ({"message": "x", "audience": "stakeholders"}, "has no stakeholder list to e-mail"),
    ],
)
def test_bad_input_is_a_plain_message_and_nothing_is_saved(signed_in, sev1, fields, expected):
    response = share(signed_in, sev1, public_title="Typed title", **fields)
    body = response.content.decode()
    assert response.status_code == 200
    assert "The update was not shared." in body
    assert expected in body
    assert 'value="Typed title"' in body  # what was typed is kept
    assert "HX-Trigger" not in response
    assert not StatusUpdate.objects.exists()
    assert not IncidentCommunication.objects.exists()  # all or nothing


def test_without_javascript_it_posts_and_comes_back_to_the_composer(signed_in, sev1):
    response = share(signed_in, sev1, htmx=False, message="Rolling back.")
    assert response.status_code == 302
    assert response["Location"] == f"/incidents/{sev1.pk}/#share-update"
    page = signed_in.get(response["Location"]).content.decode()
    assert "Public update shared: it is on the status page." in page


def test_another_teams_incident_is_not_found(client, sev1, outsider):
    client.force_login(outsider)
    assert share(client, sev1, message="x").status_code == 404
    preview = client.post(f"/incidents/{sev1.pk}/share-update/preview/", {"message": "x"})
    assert preview.status_code == 404
    assert not StatusUpdate.objects.exists()


def test_anonymous_visitors_are_sent_to_sign_in(client, sev1):
    response = client.post(f"/incidents/{sev1.pk}/share-update/", {"message": "x"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_a_public_update_from_the_page_meets_the_status_page_deadline(
    signed_in, sev1, django_capture_on_commit_callbacks
):
    # SEV1: a public update is due within 5 minutes of declaration.
    with time_machine.travel(T0 + timedelta(minutes=3), tick=False):
        share(signed_in, sev1, message="Investigating failed card payments.")
    with (
        time_machine.travel(T0 + timedelta(minutes=6), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        result = remind_communications.delay().get()
    assert result["deadline_missed"] == 0
    assert not sev1.timeline.filter(kind=K.STATUS_PAGE_DEADLINE_MISSED).exists()


def test_an_internal_update_does_not_meet_the_status_page_deadline(
    signed_in, sev1, django_capture_on_commit_callbacks
):
    with time_machine.travel(T0 + timedelta(minutes=3), tick=False):
        share(signed_in, sev1, audience="internal", message="Looking.")
    with (
        time_machine.travel(T0 + timedelta(minutes=6), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        result = remind_communications.delay().get()
    assert result["deadline_missed"] == 1
    [event] = sev1.timeline.filter(kind=K.STATUS_PAGE_DEADLINE_MISSED)
    assert "No public status update within 5 minutes" in event.message


def test_composer_queries_do_not_grow_with_updates(
    signed_in, sev1, member, django_assert_max_num_queries
):
    status_update_post(incident=sev1, actor=member, message="first", audience="public")
    url = f"/incidents/{sev1.pk}/"
    with django_assert_max_num_queries(30) as few:
        signed_in.get(url)
    for i in range(8):
        status_update_post(incident=sev1, actor=member, message=f"u{i}", audience="public")
    with django_assert_max_num_queries(len(few.captured_queries)):
        signed_in.get(url)
