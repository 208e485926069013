"""Delivery through a real SMTP server on 127.0.0.1 (aiosmtpd, port 0), and two beat
runs at once on PostgreSQL sending each e-mail once."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail

from incidents import services as incident_services
from postmortems import services
from postmortems.models import NotificationRecord
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
    # Nothing listens on that port: the connection is refused.
    email_through_smtp(settings, free_port(), EMAIL_TIMEOUT=5)
    result = services.postmortem_enforce_sla(now=T0 + timedelta(hours=49))
    assert result == {"breached": 1, "escalated": 0, "sent": 0}
    assert NotificationRecord.objects.filter(sent_at=None, attempts=1).count() == 2


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
    # 6 x (owner + manager) breach e-mails + 6 x manager escalations, each once.
    assert len(mail.outbox) == 18
    assert len({(m.to[0], m.subject) for m in mail.outbox}) == 18
    assert NotificationRecord.objects.filter(sent_at=None).count() == 0
    assert len(postmortems) == 6
