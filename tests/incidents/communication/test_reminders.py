"""Reminders and time-based escalation with a frozen clock: each goes out once, at its
moment, never before and never twice."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail

from incidents import services
from incidents.communication.models import (
    CommunicationEventKind,
    CommunicationReminder,
    EscalationNoticeRule,
    EscalationNoticeSent,
    IncidentCommunication,
    TeamCommunicationSettings,
)
from incidents.communication.services.updates import status_update_post
from incidents.communication.tasks import remind_communications
from incidents.models import Severity
from tests.harness.concurrency import at_once, raised
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
    with time_machine.travel(when, tick=False), capture(execute=True):
        return remind_communications.delay().get()


def events(incident, kind):
    return list(incident.timeline.filter(kind=kind).order_by("created_at"))


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
    assert CommunicationReminder.objects.filter(kind="update_cadence").count() == 2


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
    assert not CommunicationReminder.objects.exists()
    assert not EscalationNoticeSent.objects.exists()


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
    assert mail.outbox[-1].to == ["ceo@example.com", "cto@example.com"]
    assert EscalationNoticeSent.objects.filter(incident=sev1).count() == 3


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
        assert incident.reminders.filter(kind="status_page_deadline").count() == 1
        assert incident.reminders.filter(kind="update_cadence").count() == 1
        assert incident.escalation_notices.count() == 1  # the 30-minute team lead
        assert incident.timeline.filter(kind=K.ESCALATION_NOTICE).count() == 1


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
    # run is the four pre-filter queries, whatever the number of incidents.
    with django_assert_max_num_queries(4):
        result = communications_remind(now=T0 + timedelta(minutes=90, seconds=30))
    assert (result.deadline_missed, result.cadence_reminders, result.escalation_notices) == (
        0,
        0,
        0,
    )
