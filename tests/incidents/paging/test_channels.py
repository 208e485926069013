"""Delivery through real local servers: webhook (HMAC verified by the receiver), Slack
(slack_sdk against a local API), PagerDuty (pdpyras against a local Events API), and the
one-click acknowledge link."""

import hashlib
import hmac
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail

from incidents.models import IncidentStatus
from incidents.paging import services as escalation
from incidents.paging import tasks
from incidents.paging.models import Page, PageStatus
from oncall.contacts.models import ContactMethod
from tests.httpsink import HttpSink
from tests.incidents.factories import IncidentFactory
from tests.oncall.factories import make_policy, member_of

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


SECRET = "s3cret-signing-key"


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def clock():
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


@pytest.fixture
def alice(team):
    return member_of(team, "alice")


def declare(committing, team):
    with committing():
        return IncidentFactory(team=team, severity="SEV1")


def sweep(committing):
    with committing():
        tasks.run_due_escalations.delay().get()


def verify(secret: str, body: bytes, header: str) -> bool:
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header)


def test_webhook_page_is_signed_with_hmac_sha256(clock, committing, team, alice):
    make_policy(team, [(5, [alice])])
    with HttpSink() as sink:
        ContactMethod.objects.create(
            user=alice, kind="webhook", address=sink.url + "/hook", secret=SECRET
        )
        incident = declare(committing, team)
    assert len(sink.requests) == 1
    request = sink.requests[0]
    assert request.path == "/hook"
    assert verify(SECRET, request.body, request.headers["x-tocsin-signature"])
    assert not verify("wrong-key", request.body, request.headers["x-tocsin-signature"])
    payload = request.json()
    assert payload["recipient"] == "alice"
    assert payload["incidents"][0]["reference"] == incident.reference
    assert "/ack/" in payload["incidents"][0]["acknowledge_url"]
    assert Page.objects.get().status == PageStatus.SENT


def test_channel_failing_then_recovering(clock, committing, team, alice):
    make_policy(team, [(30, [alice])])
    with HttpSink() as sink:
        sink.replies = [(500, {"error": "down"}), (503, {"error": "still down"})]
        ContactMethod.objects.create(user=alice, kind="webhook", address=sink.url, secret=SECRET)
        ContactMethod.objects.create(user=alice, kind="email", address="alice@example.com")
        declare(committing, team)
        webhook_page = Page.objects.get(channel="webhook")
        # The failing webhook is recorded and retried; email went out regardless.
        assert webhook_page.status == PageStatus.QUEUED
        assert webhook_page.attempts == 1 and "HTTP 500" in webhook_page.error
        assert Page.objects.get(channel="email").status == PageStatus.SENT
        assert len(mail.outbox) == 1
        clock.shift(timedelta(seconds=29))
        sweep(committing)
        assert len(sink.requests) == 1  # backoff: not retried before 30 s
        clock.shift(timedelta(seconds=1))
        sweep(committing)
        webhook_page.refresh_from_db()
        assert webhook_page.attempts == 2 and "HTTP 503" in webhook_page.error
        clock.shift(timedelta(seconds=60))
        sweep(committing)
        webhook_page.refresh_from_db()
    assert webhook_page.status == PageStatus.SENT and webhook_page.attempts == 3
    assert len(sink.requests) == 3
    method = ContactMethod.objects.get(kind="webhook")
    assert method.working and "503" in method.last_error


def test_channel_failing_for_good_is_marked_failed(clock, committing, team, alice, settings):
    settings.PAGING_MAX_ATTEMPTS = 2
    make_policy(team, [(30, [alice])])
    with HttpSink(default=(500, {})) as sink:
        ContactMethod.objects.create(user=alice, kind="webhook", address=sink.url)
        declare(committing, team)
        clock.shift(timedelta(minutes=5))
        sweep(committing)
    page = Page.objects.get()
    assert page.status == PageStatus.FAILED and page.attempts == 2
    assert not ContactMethod.objects.get().working


def test_slack_dm_through_chat_post_message(clock, committing, team, alice, settings):
    make_policy(team, [(5, [alice])])
    with HttpSink(default=(200, {"ok": True, "channel": "D1", "ts": "1.0"})) as sink:
        settings.SLACK_BOT_TOKEN = "xoxb-test"
        settings.SLACK_API_URL = sink.url + "/api/"
        # Only the DM is under test here: no incident channel (tests/communication).
        settings.INCIDENT_CHANNEL_MAX_SEVERITY_LEVEL = 0
        ContactMethod.objects.create(user=alice, kind="slack", address="U123ALICE")
        incident = declare(committing, team)
    request = sink.requests[0]
    assert request.path == "/api/chat.postMessage"
    assert request.headers["authorization"] == "Bearer xoxb-test"
    body = request.body.decode()
    assert "U123ALICE" in body and incident.reference in body
    assert Page.objects.get().status == PageStatus.SENT


def test_slack_api_error_is_recorded(clock, committing, team, alice, settings):
    make_policy(team, [(5, [alice])])
    with HttpSink(default=(200, {"ok": False, "error": "channel_not_found"})) as sink:
        settings.SLACK_BOT_TOKEN = "xoxb-test"
        settings.SLACK_API_URL = sink.url + "/api/"
        # Only the DM is under test here: no incident channel (tests/communication).
        settings.INCIDENT_CHANNEL_MAX_SEVERITY_LEVEL = 0
        ContactMethod.objects.create(user=alice, kind="slack", address="UNKNOWN")
        declare(committing, team)
    page = Page.objects.get()
    assert page.status == PageStatus.QUEUED and "channel_not_found" in page.error


def test_slack_incoming_webhook(clock, committing, team, alice):
    make_policy(team, [(5, [alice])])
    with HttpSink() as sink:
        ContactMethod.objects.create(user=alice, kind="slack", address=sink.url + "/services/T/B/X")
        incident = declare(committing, team)
    assert sink.requests[0].path == "/services/T/B/X"
    assert incident.reference in sink.requests[0].json()["text"]


def test_pagerduty_event_with_incident_id_as_dedup_key(clock, committing, team, alice, settings):
    make_policy(team, [(5, [alice])])
    with HttpSink(default=(202, {"status": "success", "dedup_key": "x"})) as sink:
        settings.PAGERDUTY_EVENTS_URL = sink.url
        ContactMethod.objects.create(user=alice, kind="pagerduty", address="R0UTINGKEY0123456789")
        incident = declare(committing, team)
    event = sink.requests[0].json()
    assert sink.requests[0].path == "/v2/enqueue"
    assert event["routing_key"] == "R0UTINGKEY0123456789"
    assert event["event_action"] == "trigger"
    assert event["dedup_key"] == str(incident.pk)
    assert incident.reference in event["payload"]["summary"]
    assert Page.objects.get().status == PageStatus.SENT


def test_one_click_acknowledge_link_works_without_a_session(clock, committing, client, team, alice):
    make_policy(team, [(5, [alice])])
    incident = declare(committing, team)
    link = mail.outbox[0].body.split("Acknowledge: ")[1].split()[0]
    path = link.split("localhost:8000", 1)[1]
    response = client.get(path)
    assert response.status_code == 200 and b"Acknowledge as alice" in response.content
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.TRIGGERED  # GET changes nothing
    with committing():
        response = client.post(path)
    assert response.status_code == 200
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.ACKNOWLEDGED
    assert incident.timeline.filter(kind="acknowledged", actor=alice).exists()
    clock.shift(timedelta(hours=1))
    sweep(committing)
    assert Page.objects.count() == 1


def test_acknowledge_link_tampered_or_expired(clock, client, team, alice, incident):
    token = escalation.ack_token(incident_id=incident.pk, user_id=alice.pk)
    assert client.post(f"/ack/{token}x/").status_code == 404
    clock.shift(timedelta(hours=25))
    assert client.post(f"/ack/{token}/").status_code == 410
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.TRIGGERED
