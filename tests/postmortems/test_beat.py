"""The beat tasks: the postmortem SLA and overdue action items, with frozen time. Their
e-mails are outbox messages, sent after each run as the outbox's workers would
(``outbox_send_due``), to Django's locmem outbox (pytest-django's default); one test
sends through a real SMTP server on 127.0.0.1 (tests/postmortems/test_smtp_and_concurrency.py),
one through a server that hangs up."""

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.conf import settings as django_settings
from django.core import mail

from incidents import services as incident_services
from outbox.models import Message, MessageStatus
from outbox.services import outbox_send_due
from outbox.transports.email import message_id
from postmortems import services, tasks
from tests.harness.outbox import crash_after_sending
from tests.harness.receivers import HangingUpSmtpServer, email_through_smtp
from tests.incidents.factories import IncidentFactory
from tests.oncall.factories import TeamMembershipFactory, UserFactory
from tests.postmortems.factories import ActionItemFactory, ready_to_publish

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
pytestmark = pytest.mark.django_db


def _run(task, at):
    """The beat's task at ``at``, then the outbox's sending: what the task wrote, and how
    many e-mails went out (``sent``)."""
    before = len(mail.outbox)
    with time_machine.travel(at, tick=False):
        result = task()
        outbox_send_due()
    return result | {"sent": len(mail.outbox) - before}


def run_sla(at):
    return _run(tasks.enforce_postmortem_sla, at)


def run_overdue(at):
    return _run(tasks.remind_overdue_action_items, at)


@pytest.fixture
def postmortem(team, member, manager):
    with time_machine.travel(T0, tick=False):
        incident = IncidentFactory(team=team, actor=member, severity="SEV2", commander=member)
        incident_services.incident_resolve(incident=incident, actor=member)
    return incident.postmortem


def recipients():
    return sorted(address for m in mail.outbox for address in m.to)


def test_sla_marks_and_emails_at_48h_plus_1min_not_at_47h59(postmortem, member, manager):
    result = run_sla(T0 + timedelta(hours=47, minutes=59))
    assert result == {"breached": 0, "escalated": 0, "emails": 0, "sent": 0}
    postmortem.refresh_from_db()
    assert postmortem.sla_breached_at is None
    assert mail.outbox == []

    result = run_sla(T0 + timedelta(hours=48, minutes=1))
    assert result == {"breached": 1, "escalated": 0, "emails": 2, "sent": 2}
    postmortem.refresh_from_db()
    assert postmortem.sla_breached_at == T0 + timedelta(hours=48, minutes=1)
    assert recipients() == ["marco@example.com", "priya@example.com"]
    assert "Postmortem overdue" in mail.outbox[0].subject
    assert postmortem.incident.reference in mail.outbox[0].subject
    history = postmortem.history.order_by("-history_id").first()
    assert history.history_change_reason == "Postmortem SLA breached"


def test_sla_never_repeats_and_escalates_once_at_72h(postmortem, member, manager):
    run_sla(T0 + timedelta(hours=48, minutes=1))
    # Every 15 minutes until just before 72 h: nothing more is sent.
    moment = T0 + timedelta(hours=48, minutes=15)
    while moment < T0 + timedelta(hours=72):
        assert run_sla(moment) == {"breached": 0, "escalated": 0, "emails": 0, "sent": 0}
        moment += timedelta(hours=3)
    assert run_sla(T0 + timedelta(hours=71, minutes=59))["escalated"] == 0
    assert len(mail.outbox) == 2

    result = run_sla(T0 + timedelta(hours=72, minutes=1))
    assert result == {"breached": 0, "escalated": 1, "emails": 1, "sent": 1}
    escalation = mail.outbox[-1]
    assert escalation.to == ["priya@example.com"]  # the team's managers
    assert "1 d 0 h past due" in escalation.subject
    assert "unpublished 1 d 0 h after it was due" in escalation.body
    postmortem.refresh_from_db()
    assert postmortem.escalated_at == T0 + timedelta(hours=72, minutes=1)

    for hours in (73, 96, 200):
        assert run_sla(T0 + timedelta(hours=hours)) == {
            "breached": 0,
            "escalated": 0,
            "emails": 0,
            "sent": 0,
        }
    assert len(mail.outbox) == 3
    messages = Message.objects.filter(group=f"postmortem:{postmortem.pk}")
    assert set(messages.values_list("key", "status", "recipient__username")) == {
        (f"postmortem-escalated:{postmortem.pk}:{manager.pk}", "sent", "priya"),
        (f"postmortem-sla-breached:{postmortem.pk}:{manager.pk}", "sent", "priya"),
        (f"postmortem-sla-breached:{postmortem.pk}:{member.pk}", "sent", "marco"),
    }
    # Each e-mail carries the Message-ID derived from its key.
    assert sorted(m.extra_headers["Message-ID"] for m in mail.outbox) == sorted(
        message_id(key) for key in messages.values_list("key", flat=True)
    )


def test_a_published_postmortem_is_never_breached(postmortem, member):
    with time_machine.travel(T0 + timedelta(hours=20), tick=False):
        ready_to_publish(postmortem, member)
        services.postmortem_submit(postmortem=postmortem, actor=member)
        services.postmortem_publish(postmortem=postmortem, actor=member)
    run_sla(T0 + timedelta(hours=100))
    postmortem.refresh_from_db()
    assert postmortem.sla_breached_at is None
    assert mail.outbox == []


def test_published_after_breach_is_not_escalated(postmortem, member):
    run_sla(T0 + timedelta(hours=49))
    with time_machine.travel(T0 + timedelta(hours=50), tick=False):
        ready_to_publish(postmortem, member)
        services.postmortem_submit(postmortem=postmortem, actor=member)
        services.postmortem_publish(postmortem=postmortem, actor=member)
    assert run_sla(T0 + timedelta(hours=80))["escalated"] == 0
    assert len(mail.outbox) == 2


def test_breach_and_escalation_in_one_run_when_beat_was_down(postmortem):
    result = run_sla(T0 + timedelta(hours=90))
    assert result == {"breached": 1, "escalated": 1, "emails": 3, "sent": 3}


def test_a_failed_delivery_is_retried_with_back_off_and_sent_once(
    postmortem, settings, member, manager
):
    with HangingUpSmtpServer() as outage:
        email_through_smtp(settings, outage.port)
        assert run_sla(T0 + timedelta(hours=49))["sent"] == 0
    assert mail.outbox == []
    failed = Message.objects.filter(group=f"postmortem:{postmortem.pk}")
    assert {(m.status, m.attempts) for m in failed} == {(MessageStatus.QUEUED, 1)}
    assert all("SMTPServerDisconnected" in m.last_error for m in failed)
    assert {m.due_at for m in failed} == {
        T0 + timedelta(hours=49, seconds=settings.OUTBOX_RETRY_BASE_SECONDS)
    }
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert run_sla(T0 + timedelta(hours=49, minutes=15))["sent"] == 2
    assert run_sla(T0 + timedelta(hours=49, minutes=30))["sent"] == 0
    assert recipients() == ["marco@example.com", "priya@example.com"]


def test_an_email_sent_again_after_a_crash_carries_the_same_message_id(postmortem, member):
    with time_machine.travel(T0 + timedelta(hours=49), tick=False):
        tasks.enforce_postmortem_sla()
        owner = Message.objects.get(recipient=member)
        crash_after_sending(owner)
    assert [m.to for m in mail.outbox] == [["marco@example.com"]]
    # Its lease runs out; the next sender sends it again, under the same key.
    later = T0 + timedelta(hours=49, seconds=django_settings.OUTBOX_LEASE_SECONDS + 1)
    with time_machine.travel(later, tick=False):
        outbox_send_due()
        outbox_send_due()
    again = [m for m in mail.outbox if m.to == ["marco@example.com"]]
    assert len(again) == 2
    assert {m.extra_headers["Message-ID"] for m in again} == {message_id(owner.key)}
    owner.refresh_from_db()
    assert (owner.status, owner.attempts) == (MessageStatus.SENT, 2)


def test_a_postmortem_published_before_its_email_goes_out_cancels_it(postmortem, member):
    with time_machine.travel(T0 + timedelta(hours=49), tick=False):
        tasks.enforce_postmortem_sla()  # written, not sent yet (an SMTP outage, say)
    with time_machine.travel(T0 + timedelta(hours=50), tick=False):
        ready_to_publish(postmortem, member)
        services.postmortem_submit(postmortem=postmortem, actor=member)
        services.postmortem_publish(postmortem=postmortem, actor=member)
        outbox_send_due()
    assert mail.outbox == []
    assert set(
        Message.objects.filter(group=f"postmortem:{postmortem.pk}").values_list("status", flat=True)
    ) == {MessageStatus.CANCELLED}


# --- overdue action items -----------------------------------------------------------


@pytest.fixture
def item(postmortem, member):
    return ActionItemFactory(
        actor=member, postmortem=postmortem, owner=member, due_date=date(2026, 3, 10)
    )


def test_overdue_item_reminds_once_a_day_and_stops_when_done(item, member, manager):
    # Due on the 10th: not overdue on the 10th itself.
    assert run_overdue(datetime(2026, 3, 10, 23, 0, tzinfo=UTC))["reminded"] == 0
    assert mail.outbox == []

    result = run_overdue(datetime(2026, 3, 11, 0, 5, tzinfo=UTC))
    assert result == {"marked": 1, "reminded": 1, "digests": 1, "sent": 2}
    owner_message = Message.objects.get(key=f"action-item-overdue:{item.pk}:2026-03-11")
    assert (owner_message.recipient, owner_message.group) == (member, f"action_item:{item.pk}")
    item.refresh_from_db()
    assert item.marked_overdue_at == datetime(2026, 3, 11, 0, 5, tzinfo=UTC)
    owner_mail = [m for m in mail.outbox if m.to == ["marco@example.com"]]
    digest = [m for m in mail.outbox if m.to == ["priya@example.com"]]
    assert len(owner_mail) == 1 and "1 d" in owner_mail[0].subject
    assert len(digest) == 1 and item.title in digest[0].body

    # Hourly for the rest of the day: nothing new.
    for hour in range(1, 24):
        assert run_overdue(datetime(2026, 3, 11, hour, 5, tzinfo=UTC))["sent"] == 0
    assert len(mail.outbox) == 2

    # The next day: one more reminder and one more digest.
    assert run_overdue(datetime(2026, 3, 12, 0, 5, tzinfo=UTC)) == {
        "marked": 0,
        "reminded": 1,
        "digests": 1,
        "sent": 2,
    }
    assert len(mail.outbox) == 4

    with time_machine.travel(datetime(2026, 3, 12, 9, 0, tzinfo=UTC), tick=False):
        services.action_item_set_status(item=item, actor=member, status="done")
    assert run_overdue(datetime(2026, 3, 13, 0, 5, tzinfo=UTC))["sent"] == 0
    assert run_overdue(datetime(2026, 3, 20, 0, 5, tzinfo=UTC))["sent"] == 0
    assert len(mail.outbox) == 4


def test_managers_get_one_digest_per_team_with_all_overdue_items(
    postmortem, team, member, manager, other_team, outsider
):
    colleague = UserFactory(username="lena")
    TeamMembershipFactory(team=team, user=colleague)
    ActionItemFactory(actor=member, postmortem=postmortem, owner=member, title="Add canary")
    ActionItemFactory(actor=member, postmortem=postmortem, owner=colleague, title="Pool alert")
    ActionItemFactory(
        actor=member,
        postmortem=postmortem,
        owner=member,
        title="Not yet due",
        due_date=date(2026, 4, 1),
    )
    elsewhere = IncidentFactory(team=other_team, actor=outsider)
    ActionItemFactory(actor=outsider, incident=elsewhere, owner=outsider, title="Mobile item")

    result = run_overdue(datetime(2026, 3, 11, 8, 0, tzinfo=UTC))
    assert result == {"marked": 3, "reminded": 3, "digests": 2, "sent": 5}
    digest = next(m for m in mail.outbox if m.to == ["priya@example.com"])
    assert "2 overdue action item(s)" in digest.subject
    assert "Add canary" in digest.body and "Pool alert" in digest.body
    assert "Not yet due" not in digest.body and "Mobile item" not in digest.body
    mobile = sorted(m.subject for m in mail.outbox if m.to == ["olivia@example.com"])
    assert mobile == [
        "[Tocsin] Action item overdue (1 d): Mobile item",
        "[Tocsin] Mobile: 1 overdue action item(s)",
    ]


def test_wont_do_items_are_not_reminded(item, member):
    services.action_item_set_status(
        item=item, actor=member, status="wont_do", reason="Service is retired"
    )
    assert run_overdue(datetime(2026, 3, 15, 8, 0, tzinfo=UTC))["sent"] == 0


def test_an_item_closed_before_its_reminder_goes_out_cancels_it(item, member):
    with time_machine.travel(datetime(2026, 3, 11, 0, 5, tzinfo=UTC), tick=False):
        tasks.remind_overdue_action_items()  # written, not sent yet
        services.action_item_set_status(item=item, actor=member, status="done")
        outbox_send_due()
    # The managers' digest goes out as written; the owner's reminder does not.
    assert [m.subject for m in mail.outbox] == ["[Tocsin] Payments: 1 overdue action item(s)"]
    reminder = Message.objects.get(key=f"action-item-overdue:{item.pk}:2026-03-11")
    assert reminder.status == MessageStatus.CANCELLED
