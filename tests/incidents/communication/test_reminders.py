"""Reminders and time-based escalation with a frozen clock: each goes out once, at its
moment, never before and never twice. They are outbox messages: what went out is what
Django's locmem mail outbox received after the outbox sent what was due."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.conf import settings
from django.core import mail

from incidents import services
from incidents.communication.models import (
    CommunicationEventKind,
    EscalationNoticeRule,
    IncidentCommunication,
    TeamCommunicationSettings,
)
from incidents.communication.services.emails import NOTICE, REMINDER, base_key
from incidents.communication.services.updates import status_update_post
from incidents.communication.tasks import remind_communications
from incidents.models import Severity
from outbox.models import Message, MessageStatus
from outbox.services import outbox_send_due
from outbox.transports.email import message_id
from tests.harness.concurrency import at_once, raised
from tests.harness.outbox import crash_after_sending
from tests.incidents.factories import ServiceFactory

pytestmark = pytest.mark.django_db


T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


K = CommunicationEventKind


@pytest.fixture
def public_service(team):
    return ServiceFactory(team=team, name="Checkout", slug="checkout", public=True)


@pytest.fixture
def sev1(team, member, manager, public_service):
    with time_machine.travel(T0, tick=False):
        return services.incident_create(
            actor=member,
            team=team,
            title="Checkout is down",
            severity=Severity.objects.get(name="SEV1"),
            commander=member,
            services=[public_service],
        )


def run_at(when, capture):
    """The beat's task at ``when``; its commit hands the messages to the outbox, whose
    workers (eager here) send them; then whatever else is due."""
    with time_machine.travel(when, tick=False):
        with capture(execute=True):
            result = remind_communications.delay().get()
        outbox_send_due()
    return result


def events(incident, kind):
    return list(incident.timeline.filter(kind=kind).order_by("created_at"))


def written(incident, purpose, contains=""):
    """The reminders or notices written for ``incident``: their keys without addresses."""
    keys = Message.objects.filter(
        group=f"incident:{incident.pk}", purpose=purpose, key__contains=contains
    ).values_list("key", flat=True)
    return {base_key(key) for key in keys}


def test_status_page_deadline_reminds_the_commander_once_at_five_minutes(
    sev1, django_capture_on_commit_callbacks
):
    run_at(T0 + timedelta(minutes=4, seconds=59), django_capture_on_commit_callbacks)
    assert events(sev1, K.STATUS_PAGE_DEADLINE_MISSED) == []
    assert [m.subject for m in mail.outbox] == []

    run_at(T0 + timedelta(minutes=5), django_capture_on_commit_callbacks)
    [missed] = events(sev1, K.STATUS_PAGE_DEADLINE_MISSED)
    assert missed.created_at == T0 + timedelta(minutes=5)
    assert "marco@example.com" in missed.message
    assert [(m.subject, m.to) for m in mail.outbox] == [
        ("[PAY-1] Post a public status update now", ["marco@example.com"])
    ]

    run_at(T0 + timedelta(minutes=6), django_capture_on_commit_callbacks)
    run_at(T0 + timedelta(minutes=9), django_capture_on_commit_callbacks)
    assert len(events(sev1, K.STATUS_PAGE_DEADLINE_MISSED)) == 1
    assert len(mail.outbox) == 1


def test_a_public_update_in_time_means_no_deadline_reminder(
    sev1, member, django_capture_on_commit_callbacks
):
    with time_machine.travel(T0 + timedelta(minutes=3), tick=False):
        status_update_post(incident=sev1, actor=member, message="Investigating", audience="public")
    run_at(T0 + timedelta(minutes=10), django_capture_on_commit_callbacks)
    assert events(sev1, K.STATUS_PAGE_DEADLINE_MISSED) == []
    assert mail.outbox == []


def test_an_internal_update_does_not_meet_the_status_page_deadline(
    sev1, member, django_capture_on_commit_callbacks
):
    with time_machine.travel(T0 + timedelta(minutes=2), tick=False):
        status_update_post(incident=sev1, actor=member, message="Looking", audience="internal")
    run_at(T0 + timedelta(minutes=5), django_capture_on_commit_callbacks)
    assert len(events(sev1, K.STATUS_PAGE_DEADLINE_MISSED)) == 1


def test_private_incidents_have_no_status_page_deadline(
    team, member, public_service, django_capture_on_commit_callbacks
):
    with time_machine.travel(T0, tick=False):
        incident = services.incident_create(
            actor=member,
            team=team,
            title="Security investigation",
            severity=Severity.objects.get(name="SEV1"),
            commander=member,
            services=[public_service],
            private=True,
        )
    run_at(T0 + timedelta(minutes=10), django_capture_on_commit_callbacks)
    assert events(incident, K.STATUS_PAGE_DEADLINE_MISSED) == []


def test_update_cadence_reminds_when_the_last_update_is_older_than_fifteen_minutes(
    sev1, member, django_capture_on_commit_callbacks
):
    with time_machine.travel(T0 + timedelta(minutes=2), tick=False):
        status_update_post(incident=sev1, actor=member, message="Investigating", audience="public")
    run_at(T0 + timedelta(minutes=16, seconds=59), django_capture_on_commit_callbacks)
    assert events(sev1, K.UPDATE_REMINDER) == []

    run_at(T0 + timedelta(minutes=17), django_capture_on_commit_callbacks)
    run_at(T0 + timedelta(minutes=18), django_capture_on_commit_callbacks)
    [reminder] = events(sev1, K.UPDATE_REMINDER)
    assert reminder.created_at == T0 + timedelta(minutes=17)
    assert [m.subject for m in mail.outbox] == ["[PAY-1] Stakeholder update due"]

    # A new update restarts the clock: the next reminder is 15 minutes after it.
    with time_machine.travel(T0 + timedelta(minutes=20), tick=False):
        status_update_post(incident=sev1, actor=member, message="Fix deployed", audience="internal")
    run_at(T0 + timedelta(minutes=34), django_capture_on_commit_callbacks)
    assert len(events(sev1, K.UPDATE_REMINDER)) == 1
    run_at(T0 + timedelta(minutes=35), django_capture_on_commit_callbacks)
    run_at(T0 + timedelta(minutes=35, seconds=30), django_capture_on_commit_callbacks)
    assert len(events(sev1, K.UPDATE_REMINDER)) == 2
    assert written(sev1, REMINDER, ":update_cadence:") == {
        f"communication.reminder:{sev1.pk}:update_cadence:2026-03-02T09:17:00+00:00",
        f"communication.reminder:{sev1.pk}:update_cadence:2026-03-02T09:35:00+00:00",
    }
    assert [m.subject for m in mail.outbox].count("[PAY-1] Stakeholder update due") == 2


def test_no_reminders_for_severities_without_deadline_or_cadence(
    team, member, public_service, django_capture_on_commit_callbacks
):
    with time_machine.travel(T0, tick=False):
        incident = services.incident_create(
            actor=member,
            team=team,
            title="Slow export",
            severity=Severity.objects.get(name="SEV3"),
            commander=member,
            services=[public_service],
        )
    run_at(T0 + timedelta(hours=5), django_capture_on_commit_callbacks)
    assert incident.timeline.count() == 1  # just the declaration
    assert mail.outbox == []


def test_resolved_incidents_get_nothing(sev1, member, django_capture_on_commit_callbacks):
    with time_machine.travel(T0 + timedelta(minutes=1), tick=False):
        services.incident_resolve(incident=sev1, actor=member)
    run_at(T0 + timedelta(hours=3), django_capture_on_commit_callbacks)
    assert not Message.objects.filter(purpose__in=[REMINDER, NOTICE]).exists()
    assert mail.outbox == []


def test_time_based_escalation_notifies_lead_then_manager_then_executives(
    sev1, team, member, django_capture_on_commit_callbacks
):
    TeamCommunicationSettings.objects.create(team=team, engineering_manager_emails="em@example.com")
    EscalationNoticeRule.objects.filter(target="executive_list").update(
        emails="ceo@example.com, cto@example.com"
    )
    # Keep this test about escalation: an update every few minutes silences reminders.
    for minute in range(0, 75, 10):
        with time_machine.travel(T0 + timedelta(minutes=minute), tick=False):
            status_update_post(incident=sev1, actor=member, message="Working", audience="public")

    run_at(T0 + timedelta(minutes=29, seconds=59), django_capture_on_commit_callbacks)
    assert events(sev1, K.ESCALATION_NOTICE) == []

    run_at(T0 + timedelta(minutes=30), django_capture_on_commit_callbacks)
    run_at(T0 + timedelta(minutes=31), django_capture_on_commit_callbacks)
    [lead] = events(sev1, K.ESCALATION_NOTICE)
    assert lead.data["target"] == "team_lead"
    assert lead.data["recipients"] == ["priya@example.com"]
    assert [m.to for m in mail.outbox] == [["priya@example.com"]]
    assert mail.outbox[0].subject == "[PAY-1] SEV1 unresolved after 30 minutes"

    # At 60 minutes: the engineering manager; the executive list needs customer impact.
    run_at(T0 + timedelta(minutes=60), django_capture_on_commit_callbacks)
    assert [e.data["target"] for e in events(sev1, K.ESCALATION_NOTICE)] == [
        "team_lead",
        "engineering_manager",
    ]
    assert mail.outbox[-1].to == ["em@example.com"]

    IncidentCommunication.objects.create(incident=sev1, customer_impact=True)
    run_at(T0 + timedelta(minutes=61), django_capture_on_commit_callbacks)
    run_at(T0 + timedelta(minutes=70), django_capture_on_commit_callbacks)
    targets = [e.data["target"] for e in events(sev1, K.ESCALATION_NOTICE)]
    assert targets == ["team_lead", "engineering_manager", "executive_list"]
    # One e-mail per address.
    assert [m.to for m in mail.outbox[-2:]] == [["ceo@example.com"], ["cto@example.com"]]
    assert len(written(sev1, NOTICE)) == 3
    assert len(mail.outbox) == 4


def test_customer_impact_is_derived_from_the_impact_statement(
    team, member, public_service, django_capture_on_commit_callbacks
):
    EscalationNoticeRule.objects.filter(target="executive_list").update(emails="ceo@example.com")
    with time_machine.travel(T0, tick=False):
        incident = services.incident_create(
            actor=member,
            team=team,
            title="Payments failing",
            severity=Severity.objects.get(name="SEV2"),
            commander=member,
            services=[public_service],
            impact="Card payments fail for 30% of customers.",
        )
    run_at(T0 + timedelta(minutes=60), django_capture_on_commit_callbacks)
    targets = [e.data["target"] for e in events(incident, K.ESCALATION_NOTICE)]
    assert "executive_list" in targets


def test_escalation_rules_are_editable_and_inactive_rules_do_nothing(
    sev1, django_capture_on_commit_callbacks
):
    EscalationNoticeRule.objects.update(active=False)
    rule = EscalationNoticeRule.objects.create(
        severity=Severity.objects.get(name="SEV1"), after_minutes=10, target="team_lead"
    )
    run_at(T0 + timedelta(minutes=9), django_capture_on_commit_callbacks)
    assert events(sev1, K.ESCALATION_NOTICE) == []
    run_at(T0 + timedelta(minutes=10), django_capture_on_commit_callbacks)
    [notice] = events(sev1, K.ESCALATION_NOTICE)
    assert notice.data["rule"] == rule.pk


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_runs_send_each_notice_once(team, member, manager, public_service):
    """Two beat runs at once (threads, separate connections): every reminder and notice
    is recorded and e-mailed exactly once."""
    from incidents.communication.services.reminders import communications_remind

    with time_machine.travel(T0, tick=False):
        incidents = [
            services.incident_create(
                actor=member,
                team=team,
                title=f"Outage {n}",
                severity=Severity.objects.get(name="SEV1"),
                commander=member,
                services=[public_service],
            )
            for n in range(5)
        ]

    def run():
        communications_remind(now=T0 + timedelta(minutes=31))

    # A crashed run must fail the test.
    assert raised(at_once(run, run)) == []
    for incident in incidents:
        assert len(written(incident, REMINDER, ":status_page_deadline:")) == 1
        assert len(written(incident, REMINDER, ":update_cadence:")) == 1
        assert len(written(incident, NOTICE)) == 1  # the 30-minute team lead
        assert incident.timeline.filter(kind=K.ESCALATION_NOTICE).count() == 1
        assert incident.timeline.filter(kind=K.UPDATE_REMINDER).count() == 1
    # Sent by two senders at once: each message once.
    assert raised(at_once(outbox_send_due, outbox_send_due)) == []
    assert len(mail.outbox) == 5 * 3
    assert len({(m.to[0], m.subject) for m in mail.outbox}) == 5 * 3


def test_a_run_with_nothing_due_visits_no_incident(
    team, member, public_service, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    from incidents.communication.services.reminders import communications_remind

    with time_machine.travel(T0, tick=False):
        for n in range(6):
            services.incident_create(
                actor=member,
                team=team,
                title=f"Outage {n}",
                severity=Severity.objects.get(name="SEV1" if n % 2 else "SEV2"),
                commander=member,
                services=[public_service],
            )
    run_at(T0 + timedelta(minutes=90), django_capture_on_commit_callbacks)
    # Everything due was sent (the executive rule waits for customer impact): the next
    # run is the pre-filter's queries (incidents, outbox keys, rules), whatever the
    # number of incidents.
    with django_assert_max_num_queries(3):
        result = communications_remind(now=T0 + timedelta(minutes=90, seconds=30))
    assert (result.deadline_missed, result.cadence_reminders, result.escalation_notices) == (
        0,
        0,
        0,
    )


def test_a_reminder_sent_again_after_a_crash_carries_the_same_message_id(sev1):
    at = T0 + timedelta(minutes=5)
    with time_machine.travel(at, tick=False):
        remind_communications.delay().get()  # written; its commit is not run here
        [reminder] = Message.objects.filter(purpose=REMINDER)
        # A sender claims it, sends it, and dies before recording that it did.
        crash_after_sending(reminder)
    assert [m.to for m in mail.outbox] == [["marco@example.com"]]
    # Its lease runs out: the next sender sends it again under the same key; the beat
    # meanwhile writes nothing new.
    later = at + timedelta(seconds=settings.OUTBOX_LEASE_SECONDS + 1)
    with time_machine.travel(later, tick=False):
        remind_communications.delay().get()
        outbox_send_due()
        outbox_send_due()
    assert [m.to for m in mail.outbox] == [["marco@example.com"]] * 2
    assert {m.extra_headers["Message-ID"] for m in mail.outbox} == {message_id(reminder.key)}
    assert reminder.key == (
        f"communication.reminder:{sev1.pk}:status_page_deadline:2026-03-02T09:05:00+00:00"
        "/marco@example.com"
    )
    reminder.refresh_from_db()
    assert (reminder.status, reminder.attempts, reminder.recipient) == (
        MessageStatus.SENT,
        2,
        sev1.commander,
    )
    assert Message.objects.filter(purpose=REMINDER).count() == 1


def test_a_reminder_nobody_can_receive_is_recorded_once_and_sends_nothing(
    sev1, member, manager, django_capture_on_commit_callbacks
):
    for person in (member, manager):
        person.email = ""
        person.save(update_fields=["email"])
    for minute in (5, 6, 7):
        run_at(T0 + timedelta(minutes=minute), django_capture_on_commit_callbacks)
    [missed] = events(sev1, K.STATUS_PAGE_DEADLINE_MISSED)
    assert missed.data["recipients"] == []
    assert mail.outbox == []
    [record] = Message.objects.filter(purpose=REMINDER)
    assert (record.address, record.status) == ("", MessageStatus.CANCELLED)


def test_a_reminder_whose_update_was_posted_before_it_went_out_is_dropped(sev1, member):
    with time_machine.travel(T0 + timedelta(minutes=5), tick=False):
        remind_communications.delay().get()  # written; not sent yet (a mail outage, say)
    with time_machine.travel(T0 + timedelta(minutes=6), tick=False):
        status_update_post(incident=sev1, actor=member, message="Investigating", audience="public")
        outbox_send_due()
    assert mail.outbox == []
    assert Message.objects.get(purpose=REMINDER).status == MessageStatus.CANCELLED


def test_a_notice_not_sent_before_the_incident_is_resolved_is_dropped(sev1, member):
    for minute in range(0, 35, 10):
        with time_machine.travel(T0 + timedelta(minutes=minute), tick=False):
            status_update_post(incident=sev1, actor=member, message="Working", audience="public")
    with time_machine.travel(T0 + timedelta(minutes=30), tick=False):
        remind_communications.delay().get()
    [notice] = Message.objects.filter(purpose=NOTICE)
    with time_machine.travel(T0 + timedelta(minutes=31), tick=False):
        services.incident_resolve(incident=sev1, actor=member)
        outbox_send_due()
    assert mail.outbox == []
    notice.refresh_from_db()
    assert notice.status == MessageStatus.CANCELLED
