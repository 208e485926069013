"""The engine's guarantees under real concurrency, on PostgreSQL: a lost task never loses a
page (the sweep runs the step), and concurrent sweeps or tasks never page anyone twice."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.db import connection, transaction

from incidents.models import Incident
from incidents.paging import services as paging
from incidents.paging.models import IncidentEscalation, Page, PageStatus
from oncall.contacts.models import ContactMethod
from outbox.services import outbox_send_due
from tests.harness.concurrency import at_once, raised
from tests.harness.tasks import tasks_published_to
from tests.incidents.factories import IncidentFactory
from tests.oncall.factories import make_policy, member_of

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


@pytest.fixture
def lossy_broker():
    """Tasks are published to an in-memory broker that no worker reads: every task is lost."""
    with tasks_published_to("memory://"):
        yield


@pytest.fixture
def setup_team(severities, team, alice, bob, manager):
    """Payments: alice, then bob five minutes later, each with an e-mail contact method;
    priya manages the team."""
    for user in (alice, bob):
        ContactMethod.objects.create(user=user, kind="email", address=user.email)
    make_policy(team, [(5, [alice]), (5, [bob])])
    return team


def test_step_whose_task_was_lost_is_executed_by_the_sweep(lossy_broker, setup_team):
    with time_machine.travel(T0, tick=False) as clock:
        incident = IncidentFactory(team=setup_team, severity="SEV1")
        # The first rule is paged inside the declaring transaction; its delivery task and the
        # next step's task went to a broker nobody reads.
        assert list(Page.objects.values_list("user__username", "status")) == [
            ("alice", PageStatus.QUEUED)
        ]
        assert mail.outbox == []
        clock.shift(timedelta(minutes=5))
        assert paging.escalation_run_due() == 1
        assert outbox_send_due() == 2
    pages = Page.objects.filter(incident=incident).order_by("level")
    assert [(p.user.username, p.level, p.status) for p in pages] == [
        ("alice", 1, PageStatus.SENT),
        ("bob", 2, PageStatus.SENT),
    ]
    assert sorted(m.to[0] for m in mail.outbox) == ["alice@example.com", "bob@example.com"]


def test_two_concurrent_sweeps_page_each_target_once(lossy_broker, setup_team):
    with time_machine.travel(T0, tick=False) as clock:
        incidents = [IncidentFactory(team=setup_team, severity="SEV1") for _ in range(30)]
        outbox_send_due()
        mail.outbox.clear()
        clock.shift(timedelta(minutes=5))
        counts: list[int] = []

        def sweep():
            counts.append(paging.escalation_run_due(batch_size=4))
            outbox_send_due()

        assert raised(at_once(sweep, sweep, sweep)) == []
        # Three senders at once to bob's one address: the outbox lets two send and the
        # third's message waits a moment (the per-destination limit); it goes out next.
        clock.shift(timedelta(seconds=settings.OUTBOX_BUSY_RETRY_SECONDS))
        outbox_send_due()
    assert sum(counts) == 30
    for incident in incidents:
        levels = list(
            Page.objects.filter(incident=incident).order_by("level").values_list("level", flat=True)
        )
        assert levels == [1, 2]
    assert Page.objects.filter(level=2, status=PageStatus.SENT).count() == 30
    # Every incident reached bob exactly once across however many bundled messages.
    mentioned = [
        line for m in mail.outbox for line in m.body.splitlines() if line.endswith("(triggered)")
    ]
    assert len(mentioned) == 30
    assert len({line.split()[0] for line in mentioned}) == 30


def test_a_step_locked_by_another_worker_is_skipped_not_doubled(lossy_broker, setup_team):
    with time_machine.travel(T0, tick=False) as clock:
        incident = IncidentFactory(team=setup_team, severity="SEV1")
        state = IncidentEscalation.objects.get(incident=incident)
        clock.shift(timedelta(minutes=5))
        locked = threading.Event()
        release = threading.Event()

        def hold_lock():
            with transaction.atomic():
                IncidentEscalation.objects.select_for_update().get(pk=state.pk)
                locked.set()
                release.wait(timeout=30)

        holder = threading.Thread(target=lambda: (hold_lock(), connection.close()))
        holder.start()
        assert locked.wait(timeout=30)
        # A redelivered task and a sweep both find the row busy and skip it.
        assert paging.escalation_execute_step(escalation_id=state.pk, token=state.token) is False
        assert paging.escalation_run_due() == 0
        release.set()
        holder.join(timeout=30)
        assert paging.escalation_execute_step(escalation_id=state.pk, token=state.token) is True
        assert paging.escalation_execute_step(escalation_id=state.pk, token=state.token) is False
        assert paging.escalation_run_due() == 0
    assert list(Page.objects.order_by("level").values_list("level", flat=True)) == [1, 2]


def test_sweep_skips_an_incident_whose_status_is_changing_without_deadlock(
    lossy_broker, setup_team
):
    from incidents import services

    with time_machine.travel(T0, tick=False) as clock:
        incident = IncidentFactory(team=setup_team, severity="SEV1")
        alice = Page.objects.get().user
        clock.shift(timedelta(minutes=5))
        locked = threading.Event()
        release = threading.Event()

        def acknowledge_slowly():
            # What incident_transition does: lock the incident, then (in the receiver) the
            # escalation row. The sweep must neither wait on it nor deadlock with it.
            with transaction.atomic():
                Incident.objects.select_for_update().get(pk=incident.pk)
                locked.set()
                release.wait(timeout=30)
                services.incident_acknowledge(incident=incident.pk, actor=alice)

        worker = threading.Thread(target=lambda: (acknowledge_slowly(), connection.close()))
        worker.start()
        assert locked.wait(timeout=30)
        assert paging.escalation_run_due() == 0
        state = IncidentEscalation.objects.get(incident=incident)
        assert paging.escalation_execute_step(escalation_id=state.pk, token=state.token) is False
        release.set()
        worker.join(timeout=30)
        assert paging.escalation_run_due() == 0
    incident.refresh_from_db()
    assert incident.status == "acknowledged"
    assert list(Page.objects.values_list("level", flat=True)) == [1]


def test_concurrent_sweeps_create_one_default_contact_method(lossy_broker, setup_team):
    newcomer = member_of(setup_team, "newcomer")
    make_policy(setup_team, [(5, [newcomer])], name="Newcomer first")
    with time_machine.travel(T0, tick=False):
        with transaction.atomic():
            # Declared in one transaction with the first steps left due for the sweeps.
            incidents = [IncidentFactory(team=setup_team, severity="SEV1") for _ in range(6)]
            IncidentEscalation.objects.filter(incident__in=incidents).update(
                rule_index=0, loop=0, state="active", next_escalation_at=T0
            )
            Page.objects.filter(incident__in=incidents).delete()
            ContactMethod.objects.filter(user=newcomer).delete()

        def sweep():
            paging.escalation_run_due(batch_size=1)

        assert raised(at_once(sweep, sweep)) == []
    assert ContactMethod.objects.filter(user=newcomer).count() == 1
    for incident in incidents:
        assert list(
            Page.objects.filter(incident=incident).values_list("user__username", flat=True)
        ) == ["newcomer"]
