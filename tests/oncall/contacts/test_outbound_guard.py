"""Webhook and Slack-webhook contact methods cannot make Tocsin call loopback, private,
link-local or reserved addresses (server-side request forgery)."""

import time

import pytest

from oncall.contacts.channels import Message, MessageItem, render
from oncall.contacts.models import ContactMethod
from outbox.transports import Envelope, TransportError, transport_for
from tests.harness.receivers import HttpReceiver

URL = "/api/v1/users/me/contact-methods/"


@pytest.fixture
def guarded(settings):
    settings.OUTBOUND_ALLOW_PRIVATE_NETWORKS = False


@pytest.mark.parametrize(
    "address",
    [
        "http://127.0.0.1:9/hook",
        "http://169.254.169.254/latest/meta-data/",  # cloud metadata service
        "http://10.0.0.7/internal",
        "http://192.168.1.1/",
        "http://[::1]:8080/",
        "http://[::ffff:127.0.0.1]/",
        "http://localhost:8000/admin/",
        "http://api.localhost/",
        "http://0.0.0.0/",
    ],
)
def test_webhook_to_a_private_or_local_address_is_refused_with_a_400(api, alice, guarded, address):
    response = api.as_user(alice).post(URL, {"kind": "webhook", "address": address}, format="json")
    assert response.status_code == 400, response.json()
    assert "address" in response.json()["errors"]
    assert not ContactMethod.objects.filter(user=alice).exists()


def test_slack_incoming_webhook_to_a_local_address_is_refused(api, alice, guarded):
    response = api.as_user(alice).post(
        URL, {"kind": "slack", "address": "http://127.0.0.1:9/services/T/B/x"}, format="json"
    )
    assert response.status_code == 400
    assert "address" in response.json()["errors"]


def test_public_webhook_address_is_accepted(api, alice, guarded):
    response = api.as_user(alice).post(
        URL, {"kind": "webhook", "address": "https://hooks.example.com/tocsin"}, format="json"
    )
    assert response.status_code == 201, response.json()


def _message(alice) -> Message:
    return Message(
        recipient_username=alice.get_username(),
        items=(
            MessageItem(
                incident_id=1,
                reference="PAY-1",
                title="Checkout down",
                severity="SEV1",
                status="triggered",
                url="https://tocsin.example.com/incidents/1/",
                ack_url="https://tocsin.example.com/ack/x/",
                level=1,
            ),
        ),
    )


def _send(method, message) -> str:
    """Render a page for ``method`` and hand it to its outbox transport, as the outbox does."""
    rendered = render(method, message)
    envelope = Envelope(
        key="page:test",
        address=rendered.address,
        content=rendered.content,
        deadline=time.monotonic() + 5,
    )
    return transport_for(rendered.transport)(envelope)


@pytest.mark.parametrize("kind", ["webhook", "slack"])
def test_a_stored_local_address_is_not_called_when_paging(alice, guarded, kind):
    """An address stored before the guard (or through the database) is checked again
    right before each request: the local receiver hears nothing."""
    with HttpReceiver() as sink:
        method = ContactMethod.objects.create(user=alice, kind=kind, address=sink.url + "/hook")
        with pytest.raises(TransportError, match="Refused") as refused:
            _send(method, _message(alice))
        assert refused.value.permanent
        assert sink.requests == []


def test_allowing_private_networks_lets_a_local_receiver_be_paged(alice, settings):
    settings.OUTBOUND_ALLOW_PRIVATE_NETWORKS = True
    with HttpReceiver() as sink:
        method = ContactMethod.objects.create(user=alice, kind="webhook", address=sink.url)
        _send(method, _message(alice))
        assert len(sink.requests) == 1
