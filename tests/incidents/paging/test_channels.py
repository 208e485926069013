"""Delivery through real local servers: webhook (HMAC verified by the receiver), Slack
(slack_sdk against a local API), PagerDuty (pdpyras against a local Events API), and the
one-click acknowledge link."""

import hashlib
import hmac
from datetime import timedelta

import pytest
from django.core import mail

from incidents import services as incident_services
from incidents.models import IncidentStatus
from incidents.paging import services as paging
from incidents.paging.models import Page, PageStatus
from oncall.contacts.models import ContactMethod
from tests.harness.receivers import HttpReceiver
from tests.oncall.factories import make_policy

SECRET = "s3cret-signing-key"


def verify(secret: str, body: bytes, header: str) -> bool:
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header)


def test_webhook_page_is_signed_with_hmac_sha256(clock, committing, team, alice, declare):
    make_policy(team, [(5, [alice])])
    with HttpReceiver() as sink:
        ContactMethod.objects.create(
            user=alice, kind="webhook", address=sink.url + "/hook", secret=SECRET
        )
        incident = declare(team)
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


def test_channel_failing_then_recovering(clock, committing, team, alice, declare, sweep):
    make_policy(team, [(30, [alice])])
    with HttpReceiver() as sink:
        sink.replies = [(500, {"error": "down"}), (503, {"error": "still down"})]
        ContactMethod.objects.create(user=alice, kind="webhook", address=sink.url, secret=SECRET)
        ContactMethod.objects.create(user=alice, kind="email", address="alice@example.com")
        declare(team)
        webhook_page = Page.objects.get(channel="webhook")
        # The failing webhook is recorded and retried; email went out regardless.
        assert webhook_page.status == PageStatus.QUEUED
        assert webhook_page.attempts == 1 and "HTTP 500" in webhook_page.error
        assert Page.objects.get(channel="email").status == PageStatus.SENT
        assert len(mail.outbox) == 1
        clock.shift(timedelta(seconds=29))
        sweep()
        assert len(sink.requests) == 1  # backoff: not retried before 30 s
        clock.shift(timedelta(seconds=1))
        sweep()
        webhook_page.refresh_from_db()
        assert webhook_page.attempts == 2 and "HTTP 503" in webhook_page.error
        clock.shift(timedelta(seconds=60))
        sweep()
        webhook_page.refresh_from_db()
    assert webhook_page.status == PageStatus.SENT and webhook_page.attempts == 3
    assert len(sink.requests) == 3
    method = ContactMethod.objects.get(kind="webhook")
    assert method.working and "503" in method.last_error


def test_channel_failing_for_good_is_marked_failed(
    clock, committing, team, alice, settings, declare, sweep
):
    settings.OUTBOX_MAX_ATTEMPTS = 2
    make_policy(team, [(30, [alice])])
    with HttpReceiver(default=(500, {})) as sink:
        ContactMethod.objects.create(user=alice, kind="webhook", address=sink.url)
        declare(team)
        clock.shift(timedelta(minutes=5))
        sweep()
    page = Page.objects.get()
    assert page.status == PageStatus.FAILED and page.attempts == 2
    assert not ContactMethod.objects.get().working


def test_slack_dm_through_chat_post_message(clock, committing, team, alice, settings, declare):
    make_policy(team, [(5, [alice])])
    with HttpReceiver(default=(200, {"ok": True, "channel": "D1", "ts": "1.0"})) as sink:
        settings.SLACK_BOT_TOKEN = "xoxb-test"
        settings.SLACK_API_URL = sink.url + "/api/"
        # Only the DM is under test here: no incident channel (tests/communication).
        settings.INCIDENT_CHANNEL_MAX_SEVERITY_LEVEL = 0
        ContactMethod.objects.create(user=alice, kind="slack", address="U123ALICE")
        incident = declare(team)
    request = sink.requests[0]
    assert request.path == "/api/chat.postMessage"
    assert request.headers["authorization"] == "Bearer xoxb-test"
    body = request.body.decode()
    assert "U123ALICE" in body and incident.reference in body
    assert Page.objects.get().status == PageStatus.SENT


def test_slack_api_error_is_recorded(clock, committing, team, alice, settings, declare):
    make_policy(team, [(5, [alice])])
    with HttpReceiver(default=(200, {"ok": False, "error": "channel_not_found"})) as sink:
        settings.SLACK_BOT_TOKEN = "xoxb-test"
        settings.SLACK_API_URL = sink.url + "/api/"
        # Only the DM is under test here: no incident channel (tests/communication).
        settings.INCIDENT_CHANNEL_MAX_SEVERITY_LEVEL = 0
        ContactMethod.objects.create(user=alice, kind="slack", address="UNKNOWN")
        declare(team)
    # Slack's "channel_not_found" cannot get better by retrying: the page fails at once,
    # and says why on the incident's timeline.
    page = Page.objects.get()
    assert page.status == PageStatus.FAILED and "channel_not_found" in page.error
    assert page.incident.timeline.filter(data__event="page_failed").exists()


def test_slack_incoming_webhook(clock, committing, team, alice, declare):
    make_policy(team, [(5, [alice])])
    with HttpReceiver() as sink:
        ContactMethod.objects.create(user=alice, kind="slack", address=sink.url + "/services/T/B/X")
        incident = declare(team)
    assert sink.requests[0].path == "/services/T/B/X"
    assert incident.reference in sink.requests[0].json()["text"]


def test_pagerduty_event_with_incident_id_as_dedup_key(
    clock, committing, team, alice, settings, declare
):
    make_policy(team, [(5, [alice])])
    with HttpReceiver(default=(202, {"status": "success", "dedup_key": "x"})) as sink:
        settings.PAGERDUTY_EVENTS_URL = sink.url
        ContactMethod.objects.create(user=alice, kind="pagerduty", address="R0UTINGKEY0123456789")
        incident = declare(team)
    event = sink.requests[0].json()
    assert sink.requests[0].path == "/v2/enqueue"
    assert event["routing_key"] == "R0UTINGKEY0123456789"
    assert event["event_action"] == "trigger"
    assert event["dedup_key"] == str(incident.pk)
    assert incident.reference in event["payload"]["summary"]
    assert Page.objects.get().status == PageStatus.SENT


def test_one_click_acknowledge_link_works_without_a_session(
    clock, committing, client, team, alice, declare, sweep
):
    make_policy(team, [(5, [alice])])
    incident = declare(team)
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
    sweep()
    assert Page.objects.count() == 1


def test_acknowledge_link_tampered_or_expired(clock, client, team, alice, incident):
    token = paging.ack_token(incident_id=incident.pk, user_id=alice.pk)
    assert client.post(f"/ack/{token}x/").status_code == 404
    clock.shift(timedelta(hours=25))
    assert client.post(f"/ack/{token}/").status_code == 410
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.TRIGGERED


def test_a_link_sent_before_a_resolve_does_not_acknowledge_the_reopened_incident(
    clock, committing, client, team, alice, declare
):
    make_policy(team, [(5, [alice])])
    incident = declare(team)
    old_link = mail.outbox[0].body.split("Acknowledge: ")[1].split()[0]
    old_path = old_link.split("localhost:8000", 1)[1]
    with committing():
        incident_services.incident_resolve(incident=incident, actor=alice, message="Fixed")
        incident = incident_services.incident_reopen(incident=incident, actor=alice, message="Back")
    assert incident.status == IncidentStatus.TRIGGERED
    response = client.post(old_path)
    assert response.status_code == 410 and b"before" in response.content
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.TRIGGERED
    # The page sent for the reopened incident carries a link that works.
    new_link = mail.outbox[-1].body.split("Acknowledge: ")[1].split()[0]
    assert new_link != old_link
    with committing():
        assert client.post(new_link.split("localhost:8000", 1)[1]).status_code == 200
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.ACKNOWLEDGED


def test_the_reopen_count_of_a_link_is_checked_under_the_lock(committing, team, alice, declare):
    """The view's early check can race a reopen; the transition service refuses too."""
    from common.errors import Conflict

    make_policy(team, [(5, [alice])])
    incident = declare(team)
    with committing():
        incident_services.incident_resolve(incident=incident, actor=alice)
        incident_services.incident_reopen(incident=incident, actor=alice)
    with pytest.raises(Conflict):
        incident_services.incident_acknowledge(incident=incident, actor=alice, reopen_count=0)
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.TRIGGERED
    acknowledged = incident_services.incident_acknowledge(
        incident=incident, actor=alice, reopen_count=1
    )
    assert acknowledged.status == IncidentStatus.ACKNOWLEDGED
