"""The weekly readiness e-mail: through the outbox to a real SMTP server on 127.0.0.1,
once per team per week (the outbox key), only to the team's managers; a rerun the same
week writes nothing, the next week writes again; two runs at once on PostgreSQL write
each e-mail once."""

from datetime import timedelta

import pytest
from django.utils import timezone

from oncall.teams.models import TeamMembership
from outbox.models import Message, MessageStatus
from outbox.services import outbox_send_due
from outbox.transports.email import message_id
from readiness.report import services
from readiness.report.tasks import email_weekly
from tests.harness.concurrency import at_once, raised
from tests.readiness.test_report_world import seed_ready, seed_unready


@pytest.fixture
def teams(team, manager, member, other_team, outsider):
    now = timezone.now()
    seed_unready(team, manager=manager, now=now)
    seed_ready(other_team, manager=outsider, now=now)
    return team, other_team


def _received(smtp_server):
    """The readiness e-mails the server received (the seeded incidents page people too)."""
    return sorted(
        (rcpt[0], content)
        for rcpt, content in smtp_server.messages
        if "Subject: [Tocsin] Readiness of" in content
    )


@pytest.mark.django_db
@pytest.mark.usefixtures("clock")
def test_weekly_email_reaches_only_the_managers_once_a_week(smtp_server, teams, clock):
    payments, mobile = teams
    assert services.readiness_email_weekly() == {"teams": 2, "emails": 2}
    assert services.readiness_email_weekly() == {"teams": 0, "emails": 0}
    outbox_send_due()
    received = _received(smtp_server)
    # priya manages Payments, olivia Mobile; marco and the engineers are members only.
    assert [to for to, _ in received] == ["olivia@example.com", "priya@example.com"]
    olivia, priya = (content for _, content in received)
    assert "Subject: [Tocsin] Readiness of Payments: 10 things to fix" in priya
    assert "Business hours: nobody is on call for" in priya
    assert "Edit the schedule: http://localhost:8000/oncall/schedules/" in priya
    assert f"http://localhost:8000/readiness/{payments.pk}/" in priya
    assert "Subject: [Tocsin] Readiness of Mobile: all clear" in olivia
    # The Message-ID is the one derived from the message's key (a repeat folds).
    sent = Message.objects.filter(purpose=services.WEEKLY_PURPOSE, status=MessageStatus.SENT)
    assert {m.key for m in sent} == {
        f"readiness-weekly:{payments.pk}:2026-W10:{payments.memberships.get(role='manager').user_id}",
        f"readiness-weekly:{mobile.pk}:2026-W10:{mobile.memberships.get(role='manager').user_id}",
    }
    ids = {
        line.split(": ", 1)[1]
        for _, text in received
        for line in text.splitlines()
        if line.startswith("Message-ID: ")
    }
    assert ids == {message_id(m.key) for m in sent}

    # Later the same ISO week: nothing new. The next week: one each again.
    clock.shift(timedelta(days=6, hours=13))  # Sunday 23:00
    assert services.readiness_email_weekly()["emails"] == 0
    clock.shift(timedelta(hours=1))  # Monday 00:00
    assert email_weekly() == {"teams": 2, "emails": 2}
    outbox_send_due()
    assert len(_received(smtp_server)) == 4


@pytest.mark.django_db
@pytest.mark.usefixtures("clock")
def test_a_manager_demoted_before_the_send_gets_nothing(smtp_server, teams, manager):
    payments, _ = teams
    services.readiness_email_weekly()
    membership = TeamMembership.objects.get(team=payments, user=manager)
    membership.role = "member"
    membership.save(update_fields=["role"])
    outbox_send_due()
    assert [to for to, _ in _received(smtp_server)] == ["olivia@example.com"]
    demoted = Message.objects.get(recipient=manager, purpose=services.WEEKLY_PURPOSE)
    assert demoted.status == MessageStatus.CANCELLED


@pytest.mark.django_db
@pytest.mark.usefixtures("clock")
def test_a_manager_without_an_address_and_a_team_without_managers(team, manager, member):
    manager.email = ""
    manager.save(update_fields=["email"])
    assert services.readiness_email_weekly() == {"teams": 0, "emails": 0}
    assert not Message.objects.exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_write_each_email_once(teams):
    def run():
        return services.readiness_email_weekly()

    results = at_once(run, run)
    assert raised(results) == []
    assert sum(r["emails"] for r in results) == 2
    assert Message.objects.filter(purpose=services.WEEKLY_PURPOSE).count() == 2
