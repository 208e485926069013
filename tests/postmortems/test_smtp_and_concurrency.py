"""Delivery through a real SMTP server on 127.0.0.1 (aiosmtpd, port 0), and two beat
runs and two outbox senders at once on PostgreSQL sending each e-mail once."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail

from incidents import services as incident_services
from outbox.models import Message, MessageStatus
from outbox.services import outbox_send_due
from outbox.transports.email import message_id
from postmortems import services
from tests.harness.concurrency import at_once, raised
from tests.harness.receivers import email_through_smtp, free_port
from tests.incidents.factories import IncidentFactory

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


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
        outbox_send_due()
    assert sorted(rcpt[0] for rcpt, _ in smtp_server.messages) == [
        "marco@example.com",
        "priya@example.com",
    ]
    _, content = smtp_server.messages[0]
    assert f"Postmortem overdue: {postmortem.incident.reference}" in content
    sent = Message.objects.filter(group=f"postmortem:{postmortem.pk}", status=MessageStatus.SENT)
    assert sent.count() == 2
    # The Message-ID the server received is the one derived from the message's key.
    ids = {message_id(m.key) for m in sent}
    assert {
        line.split(": ", 1)[1]
        for _, text in smtp_server.messages
        for line in text.splitlines()
        if line.startswith("Message-ID: ")
    } == ids


@pytest.mark.django_db
def test_an_unreachable_smtp_server_is_retried_later(settings, team, member, manager):
    _resolved_sev1(team, member)
    # Nothing listens on that port: the connection is refused.
    email_through_smtp(settings, free_port(), EMAIL_TIMEOUT=5)
    result = services.postmortem_enforce_sla(now=T0 + timedelta(hours=49))
    assert result == {"breached": 1, "escalated": 0, "emails": 2}
    outbox_send_due()
    waiting = Message.objects.all()
    assert {(m.status, m.attempts) for m in waiting} == {(MessageStatus.QUEUED, 1)}
    assert all("ConnectionRefusedError" in m.last_error for m in waiting)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_beats_send_each_email_once(team, member, manager):
    postmortems = [_resolved_sev1(team, member) for _ in range(6)]

    def beat():
        return services.postmortem_enforce_sla(now=T0 + timedelta(hours=80))

    results = at_once(beat, beat)
    assert raised(results) == []
    assert sum(r["breached"] for r in results) == 6
    assert sum(r["escalated"] for r in results) == 6
    # Two outbox senders at once: each message is claimed by one of them.
    assert raised(at_once(outbox_send_due, outbox_send_due)) == []
    # 6 x (owner + manager) breach e-mails + 6 x manager escalations, each once.
    assert len(mail.outbox) == 18
    assert len({(m.to[0], m.subject) for m in mail.outbox}) == 18
    assert Message.objects.exclude(status=MessageStatus.SENT).count() == 0
    assert len(postmortems) == 6
