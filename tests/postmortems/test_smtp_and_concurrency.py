"""Delivery through a real SMTP server on 127.0.0.1 (aiosmtpd, port 0), and two beat
runs at once on PostgreSQL sending each e-mail once."""

import socket
import threading
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from aiosmtpd.controller import Controller
from django.core import mail
from django.db import connection

from incidents import services as incident_services
from postmortems import services
from postmortems.models import NotificationRecord
from tests.incidents.factories import IncidentFactory

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


class _Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.rcpt_tos, envelope.content.decode("utf8", "replace")))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_server(settings):
    inbox = _Inbox()
    # aiosmtpd's start-up self-check connects to the configured port, so it cannot be 0:
    # ask the OS for a free loopback port first.
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST = "127.0.0.1"
        settings.EMAIL_PORT = controller.port
        settings.EMAIL_USE_TLS = False
        settings.EMAIL_HOST_USER = ""
        settings.EMAIL_HOST_PASSWORD = ""
        yield inbox
    finally:
        controller.stop()


def _resolved_sev1(team, actor):
    with time_machine.travel(T0, tick=False):
        incident = IncidentFactory(team=team, actor=actor, severity="SEV1", commander=actor)
        incident_services.incident_resolve(incident=incident, actor=actor)
    return incident.postmortem


@pytest.mark.django_db
def test_breach_emails_go_through_a_real_smtp_server_once(smtp_server, team, member, manager):
    postmortem = _resolved_sev1(team, member)
    for minutes in (1, 16, 31):
        services.postmortem_enforce_sla(now=T0 + timedelta(hours=48, minutes=minutes))
    assert sorted(rcpt[0] for rcpt, _ in smtp_server.messages) == [
        "marco@example.com",
        "priya@example.com",
    ]
    _, content = smtp_server.messages[0]
    assert f"Postmortem overdue: {postmortem.incident.reference}" in content
    assert NotificationRecord.objects.filter(sent_at__isnull=False).count() == 2


@pytest.mark.django_db
def test_an_unreachable_smtp_server_is_retried_later(settings, team, member, manager):
    _resolved_sev1(team, member)
    port = _free_port()  # nothing listens there: the connection is refused
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 5
    result = services.postmortem_enforce_sla(now=T0 + timedelta(hours=49))
    assert result == {"breached": 1, "escalated": 0, "sent": 0}
    assert NotificationRecord.objects.filter(sent_at=None, attempts=1).count() == 2


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_beats_send_each_email_once(team, member, manager):
    postmortems = [_resolved_sev1(team, member) for _ in range(6)]
    barrier = threading.Barrier(2)
    results, errors = [], []

    def beat():
        try:
            barrier.wait(timeout=10)
            results.append(services.postmortem_enforce_sla(now=T0 + timedelta(hours=80)))
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=beat) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    assert sum(r["breached"] for r in results) == 6
    assert sum(r["escalated"] for r in results) == 6
    # 6 x (owner + manager) breach e-mails + 6 x manager escalations, each once.
    assert len(mail.outbox) == 18
    assert len({(m.to[0], m.subject) for m in mail.outbox}) == 18
    assert NotificationRecord.objects.filter(sent_at=None).count() == 0
    assert len(postmortems) == 6
