"""Paging engine scenarios (eager Celery, frozen time). One test per behaviour."""

from datetime import date, time, timedelta

import pytest
from django.core import mail

from incidents import services
from incidents.paging import services as paging
from incidents.paging import tasks
from incidents.paging.models import EscalationState, IncidentEscalation, Page, PageStatus
from oncall.contacts.models import ContactMethod
from oncall.policies.models import EscalationRule, EscalationTarget
from tests.oncall.factories import make_policy, make_schedule


@pytest.fixture
def people(manager, people):
    """The team's engineers and its manager (who is paged when a rule has nobody)."""
    return {**people, "manager": manager}


@pytest.fixture
def policy(team, people):
    return make_policy(
        team,
        [(5, [people["alice"]]), (10, [people["bob"]]), (5, [people["carol"]])],
    )


def paged(incident=None):
    pages = Page.objects.all() if incident is None else Page.objects.filter(incident=incident)
    return [(p.user.username, p.level, p.loop) for p in pages.order_by("created_at", "pk")]


def test_first_rule_paged_at_once(clock, committing, team, policy, people, declare):
    incident = declare(team)
    assert paged(incident) == [("alice", 1, 0)]
    page = Page.objects.get()
    assert page.status == PageStatus.SENT and page.channel == "email"
    assert mail.outbox[0].to == ["alice@example.com"]
    assert incident.reference in mail.outbox[0].subject
    assert "/ack/" in mail.outbox[0].body
    kinds = list(incident.timeline.values_list("kind", flat=True))
    assert "paged" in kinds


def test_escalates_to_second_rule_after_delay_and_not_a_second_before(
    clock, committing, team, policy, declare, sweep
):
    incident = declare(team)
    clock.shift(timedelta(minutes=5) - timedelta(seconds=1))
    sweep()
    assert paged(incident) == [("alice", 1, 0)]
    clock.shift(timedelta(seconds=1))
    sweep()
    assert paged(incident) == [("alice", 1, 0), ("bob", 2, 0)]
    clock.shift(timedelta(minutes=10))
    sweep()
    assert paged(incident)[-1] == ("carol", 3, 0)


def test_repeat_runs_the_whole_policy_n_times_then_stops(
    clock, committing, team, people, declare, sweep
):
    make_policy(team, [(1, [people["alice"]]), (2, [people["bob"]])], repeat=2)
    incident = declare(team)
    for _ in range(20):
        clock.shift(timedelta(minutes=1))
        sweep()
    assert paged(incident) == [
        ("alice", 1, 0),
        ("bob", 2, 0),
        ("alice", 1, 1),
        ("bob", 2, 1),
        ("alice", 1, 2),
        ("bob", 2, 2),
    ]
    assert IncidentEscalation.objects.get().state == EscalationState.EXHAUSTED


def test_acknowledge_stops_it_and_a_later_tick_pages_nobody(
    clock, committing, team, policy, people, declare, sweep
):
    incident = declare(team)
    with committing():
        services.incident_acknowledge(incident=incident, actor=people["alice"])
    clock.shift(timedelta(hours=2))
    sweep()
    assert paged(incident) == [("alice", 1, 0)]
    assert IncidentEscalation.objects.get().state == EscalationState.STOPPED


def test_stale_task_token_does_nothing(clock, committing, team, policy, people, declare, sweep):
    incident = declare(team)
    state = IncidentEscalation.objects.get(incident=incident)
    old_token = state.token
    clock.shift(timedelta(minutes=5))
    sweep()  # the sweep ran the step, so the task's token is stale
    clock.shift(timedelta(minutes=10))
    with committing():
        assert tasks.escalation_step.delay(state.pk, old_token).get() is False
    assert paged(incident) == [("alice", 1, 0), ("bob", 2, 0)]
    # ...while the current token runs the due step exactly once.
    token = IncidentEscalation.objects.get(pk=state.pk).token
    with committing():
        assert tasks.escalation_step.delay(state.pk, token).get() is True
        assert tasks.escalation_step.delay(state.pk, token).get() is False
    assert paged(incident)[-1] == ("carol", 3, 0)


def test_resolve_stops_it(clock, committing, team, policy, people, declare, sweep):
    incident = declare(team)
    with committing():
        services.incident_resolve(incident=incident, actor=people["alice"])
    clock.shift(timedelta(hours=1))
    sweep()
    assert paged(incident) == [("alice", 1, 0)]


def test_reopen_restarts_it(clock, committing, team, policy, people, declare, sweep):
    incident = declare(team)
    with committing():
        services.incident_resolve(incident=incident, actor=people["alice"])
    clock.shift(timedelta(minutes=30))
    with committing():
        services.incident_reopen(incident=incident, actor=people["alice"])
    assert paged(incident) == [("alice", 1, 0), ("alice", 1, 0)]
    assert list(Page.objects.values_list("run", flat=True)) == [1, 2]
    clock.shift(timedelta(minutes=5))
    sweep()
    assert paged(incident)[-1] == ("bob", 2, 0)


def test_rule_with_a_schedule_pages_whoever_is_on_call_at_that_moment(
    clock, committing, team, people, declare, sweep
):
    # Daily handoff at 10:05: alice until then, bob afterwards.
    schedule = make_schedule(
        team,
        [
            {
                "users": [people["carol"], people["alice"], people["bob"]],
                "rotation": "daily",
                "handoff_time": time(10, 5),
                "start": date(2026, 2, 28),
            }
        ],
    )
    make_policy(team, [(10, [schedule]), (10, [schedule])])
    incident = declare(team)
    clock.shift(timedelta(minutes=10))
    sweep()
    assert paged(incident) == [("alice", 1, 0), ("bob", 2, 0)]


def test_empty_rule_falls_through_to_managers(clock, committing, team, people, declare):
    empty = make_schedule(team, [], name="Nobody yet")
    make_policy(team, [(5, [empty])])
    incident = declare(team)
    assert paged(incident) == [("priya", 1, 0)]
    assert Page.objects.get().reason == "rule 1 fallback to managers"
    assert incident.timeline.filter(kind="escalation", data__event="empty_rule").exists()


def test_policy_edited_mid_escalation_does_not_affect_it(
    clock, committing, team, policy, people, declare, sweep
):
    incident = declare(team)
    second = EscalationRule.objects.get(policy=policy, position=1)
    EscalationTarget.objects.filter(rule=second).update(user=people["carol"])
    second.delay_minutes = 60
    second.save()
    policy.repeat = 5
    policy.save()
    clock.shift(timedelta(minutes=5))
    sweep()
    assert paged(incident)[-1] == ("bob", 2, 0)
    clock.shift(timedelta(minutes=10))
    sweep()
    assert paged(incident)[-1] == ("carol", 3, 0)
    assert IncidentEscalation.objects.get().state == EscalationState.EXHAUSTED


def test_user_deactivated_or_deleted_mid_escalation(
    clock, committing, team, policy, people, declare, sweep
):
    incident = declare(team)
    people["bob"].is_active = False
    people["bob"].save()
    people["carol"].delete()
    clock.shift(timedelta(minutes=5))
    sweep()
    clock.shift(timedelta(minutes=10))
    sweep()
    # Both later rules had nobody left: each fell through to the managers.
    assert paged(incident) == [("alice", 1, 0), ("priya", 2, 0), ("priya", 3, 0)]


def test_many_incidents_at_once(clock, committing, team, people, declare, sweep):
    make_policy(team, [(5, [people["alice"]]), (5, [people["bob"]])])
    ContactMethod.objects.create(
        user=people["alice"], kind="email", address="alice@example.com", min_interval_seconds=0
    )
    ContactMethod.objects.create(
        user=people["bob"], kind="email", address="bob@example.com", min_interval_seconds=0
    )
    incidents = [declare(team) for _ in range(25)]
    assert Page.objects.filter(level=1).count() == 25
    clock.shift(timedelta(minutes=5))
    assert sweep()["steps"] == 25
    assert Page.objects.filter(level=2, status=PageStatus.SENT).count() == 25
    # The 25 second-level pages went out to bob as one bundled message.
    bob_mails = [m for m in mail.outbox if m.to == ["bob@example.com"]]
    assert len(bob_mails) == 1 and bob_mails[0].subject == "[SEV1] 25 incidents need you"
    for incident in incidents:
        assert paged(incident) == [("alice", 1, 0), ("bob", 2, 0)]


def test_duplicate_pages_suppressed(clock, committing, team, people, declare, sweep):
    # alice is targeted directly, via the whole team and twice in the rule: one page.
    make_policy(team, [(5, [people["alice"], people["alice"]])])
    incident = declare(team)
    assert paged(incident) == [("alice", 1, 0)]
    # Running every caller again (redelivered task, sweep, step task) adds nothing.
    state = IncidentEscalation.objects.get()
    with committing():
        tasks.escalation_step.delay(state.pk, state.token).get()
    sweep()
    sweep()
    assert paged(incident) == [("alice", 1, 0)]
    assert len(mail.outbox) == 1


def test_two_high_urgency_incidents_a_few_seconds_apart_both_page_at_once(
    clock, committing, team, people, declare, sweep
):
    """High urgency is never held back by the email throttle (60 s) nor bundled later."""
    make_policy(team, [(30, [people["alice"]])])
    first = declare(team)
    clock.shift(timedelta(seconds=10))
    second = declare(team, severity="SEV2")
    assert [m.subject for m in mail.outbox] == [
        f"[SEV1] {first.reference}: {first.title}",
        f"[SEV2] {second.reference}: {second.title}",
    ]
    assert set(Page.objects.values_list("status", flat=True)) == {PageStatus.SENT}


def test_low_urgency_pages_wait_for_the_throttle_and_go_out_as_one_bundle(
    clock, committing, team, people, declare, sweep
):
    make_policy(team, [(30, [people["alice"]])])
    first = declare(team, severity="SEV3")
    clock.shift(timedelta(seconds=10))
    second = declare(team, severity="SEV4")
    clock.shift(timedelta(seconds=10))
    third = declare(team, severity="SEV3")
    # The first page went out alone; the next two wait for the email throttle (60 s)...
    assert len(mail.outbox) == 1
    clock.shift(timedelta(seconds=39))
    sweep()
    assert len(mail.outbox) == 1
    clock.shift(timedelta(seconds=1))
    sweep()
    # ...and go out together as one message naming both, under the highest severity.
    assert len(mail.outbox) == 2
    assert mail.outbox[1].subject == "[SEV3] 2 incidents need you"
    assert second.reference in mail.outbox[1].body and third.reference in mail.outbox[1].body
    assert first.reference not in mail.outbox[1].body
    assert set(Page.objects.values_list("bundle_size", flat=True)) == {1, 2}


def test_messages_due_further_apart_than_the_bundle_window_are_not_merged(
    clock, committing, team, people, declare, sweep
):
    make_policy(team, [(30, [people["alice"]])])
    ContactMethod.objects.create(
        user=people["alice"], kind="email", address="alice@example.com", min_interval_seconds=0
    )
    declare(team, severity="SEV3")
    clock.shift(timedelta(seconds=6))
    declare(team, severity="SEV3")
    assert len(mail.outbox) == 2
    assert Page.objects.values("message").distinct().count() == 2


def test_throttling_low_urgency_queues_rather_than_drops(
    clock, committing, team, people, declare, sweep
):
    make_policy(team, [(1, [people["alice"]])], repeat=3)
    incident = declare(team, severity="SEV3")
    clock.shift(timedelta(minutes=1))
    sweep()  # second page due at +60 s, exactly when the throttle allows
    clock.shift(timedelta(seconds=30))
    sweep()
    assert len(mail.outbox) == 2
    page = Page.objects.filter(incident=incident).order_by("pk").last()
    assert page.status == PageStatus.SENT
    # Set a long throttle: the next page queues, then goes out when allowed.
    ContactMethod.objects.filter(user=people["alice"]).update(min_interval_seconds=600)
    clock.shift(timedelta(seconds=30))
    sweep()
    assert Page.objects.filter(status=PageStatus.QUEUED).count() == 1
    assert len(mail.outbox) == 2
    clock.shift(timedelta(minutes=10))
    sweep()
    # The queued page went out when the throttle allowed; the last step's page, written
    # meanwhile, waits for the next window rather than being dropped.
    assert len(mail.outbox) == 3
    assert Page.objects.filter(status=PageStatus.QUEUED).count() == 1
    clock.shift(timedelta(minutes=10))
    sweep()
    assert len(mail.outbox) == 4
    assert not Page.objects.filter(status=PageStatus.QUEUED).exists()


def test_contact_method_with_no_address_records_a_failed_page(
    clock, committing, team, people, declare
):
    people["alice"].email = ""
    people["alice"].save()
    make_policy(team, [(5, [people["alice"]])])
    incident = declare(team)
    page = Page.objects.get(incident=incident)
    assert page.status == PageStatus.FAILED and page.error == "No working contact method."


def test_ack_token_round_trip(team, people, incident):
    token = paging.ack_token(incident_id=incident.pk, user_id=people["alice"].pk)
    assert paging.ack_token_read(token) == (incident.pk, people["alice"].pk, 0)


def test_broken_schedule_falls_through_to_managers(clock, committing, team, people, declare):
    broken = make_schedule(
        team,
        [
            {
                "users": [people["alice"]],
                "rotation": "custom",
                "shift_length_hours": None,  # invalid: only possible by editing rows directly
                "handoff_time": time(9),
                "start": date(2026, 3, 2),
            }
        ],
        name="Broken",
    )
    make_policy(team, [(5, [broken])])
    incident = declare(team)
    assert paged(incident) == [("priya", 1, 0)]
    event = incident.timeline.get(kind="escalation", data__event="empty_rule")
    assert "cannot be computed" in event.message
