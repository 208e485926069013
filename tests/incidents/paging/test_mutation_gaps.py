"""Paging behaviour that mutation testing found untested: what the engine writes on the
incident's timeline and why, how a step task, the sweep and a restart treat the
escalation row, which contact methods page a person, the idempotency key and the fields
of the outbox message that carries a page, what a webhook page says, and what a sent or
failed page records. Frozen time, eager Celery, receivers on 127.0.0.1."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.core import mail
from django.utils import timezone

from incidents import services
from incidents.models import Incident, TimelineEventKind
from incidents.paging import services as paging
from incidents.paging.models import EscalationState, IncidentEscalation, Page, PageStatus
from incidents.paging.signals import responders_paged
from oncall.contacts.models import ContactMethod, NotificationRule
from oncall.policies.models import EscalationPolicy
from outbox.models import Message, MessageStatus
from tests.harness.receivers import HttpReceiver
from tests.harness.tasks import tasks_published_to
from tests.oncall.factories import make_policy

pytestmark = pytest.mark.usefixtures("severities")


def escalation_events(incident):
    return [
        (e.message, e.data)
        for e in incident.timeline.filter(kind=TimelineEventKind.ESCALATION).order_by("pk")
    ]


def paged_events(incident):
    return [
        (e.message, e.data)
        for e in incident.timeline.filter(kind=TimelineEventKind.PAGED).order_by("pk")
    ]


def escalation_of(incident):
    return IncidentEscalation.objects.get(incident=incident)


# --- starting, restarting, stopping --------------------------------------------------


def test_starting_is_on_the_timeline_with_the_policy_the_run_and_who_declared(
    clock, committing, team, alice, member, declare
):
    make_policy(team, [(5, [alice]), (5, [alice])], name="Payments on-call")
    incident = declare(team, actor=member)
    started = incident.timeline.get(kind=TimelineEventKind.ESCALATION, data__event="started")
    assert started.message == "Escalation started with policy Payments on-call."
    assert started.data == {"event": "started", "policy": "Payments on-call", "run": 1}
    assert started.actor == member
    escalation = escalation_of(incident)
    assert (escalation.run, escalation.rule_index, escalation.loop) == (1, 1, 0)
    assert escalation.started_at == timezone.now() and escalation.stopped_at is None
    assert escalation.next_escalation_at == timezone.now() + timedelta(minutes=5)


def test_a_restart_pages_from_the_first_rule_again_as_a_new_run(
    clock, committing, team, alice, bob, member, declare, sweep
):
    make_policy(team, [(5, [alice]), (5, [bob])])
    incident = declare(team)
    clock.shift(timedelta(minutes=5))
    sweep()
    with committing():
        services.incident_resolve(incident=incident, actor=member)
    assert escalation_of(incident).stopped_at == timezone.now()
    clock.shift(timedelta(minutes=30))
    with committing():
        services.incident_reopen(incident=incident, actor=member)
    escalation = escalation_of(incident)
    assert escalation.state == EscalationState.ACTIVE and escalation.stopped_at is None
    assert escalation.started_at == timezone.now()
    assert (escalation.run, escalation.rule_index, escalation.loop) == (2, 1, 0)
    restarted = incident.timeline.filter(data__event="started").order_by("pk").last()
    assert restarted.message == "Escalation restarted with policy Default."
    assert restarted.data == {"event": "started", "policy": "Default", "run": 2}
    assert restarted.actor == member
    assert list(Page.objects.order_by("pk").values_list("user__username", "run", "level")) == [
        ("alice", 1, 1),
        ("bob", 1, 2),
        ("alice", 2, 1),
    ]


def test_a_policy_without_rules_records_that_nobody_was_paged(clock, committing, team, declare):
    EscalationPolicy.objects.create(team=team, name="Empty")
    team.escalation_policy = EscalationPolicy.objects.get(name="Empty")
    team.save(update_fields=["escalation_policy"])
    incident = declare(team)
    assert escalation_events(incident) == [
        (
            "Nobody paged: the escalation policy has no rules.",
            {"event": "no_policy", "policy": "Empty"},
        )
    ]
    escalation = escalation_of(incident)
    assert escalation.state == EscalationState.EXHAUSTED
    assert escalation.next_escalation_at is None and escalation.stopped_at == timezone.now()
    assert Page.objects.count() == 0


def test_a_team_without_a_policy_pages_nobody_and_keeps_no_escalation(
    clock, committing, team, declare
):
    incident = declare(team)
    assert escalation_events(incident) == []
    assert not IncidentEscalation.objects.exists() and not Page.objects.exists()


def test_reopening_after_the_policy_was_removed_says_no_policy_is_set(
    clock, committing, team, alice, member, declare
):
    make_policy(team, [(5, [alice])])
    incident = declare(team)
    with committing():
        services.incident_resolve(incident=incident, actor=member)
    team.escalation_policy = None
    team.save(update_fields=["escalation_policy"])
    with committing():
        services.incident_reopen(incident=incident, actor=member)
    assert escalation_events(incident)[-1] == (
        "Nobody paged: the escalation policy is not set for this team or service.",
        {"event": "no_policy", "policy": None},
    )
    escalation = escalation_of(incident)
    assert escalation.state == EscalationState.EXHAUSTED and escalation.run == 2
    assert Page.objects.count() == 1


@pytest.mark.parametrize(
    ("move", "reason"),
    [(services.incident_acknowledge, "acknowledged"), (services.incident_resolve, "resolved")],
)
def test_stopping_says_why_and_who_and_cancels_the_unsent_pages(
    clock, committing, team, alice, member, declare, move, reason
):
    make_policy(team, [(5, [alice]), (5, [alice])])
    incident = declare(team, commit=False)  # its page waits in the outbox, not yet sent
    token = escalation_of(incident).token
    clock.shift(timedelta(seconds=1))
    with committing():
        move(incident=incident, actor=member)
    stopped = incident.timeline.get(data__event="stopped")
    assert stopped.message == f"Escalation stopped: {reason}."
    assert stopped.data == {"event": "stopped", "reason": reason}
    assert stopped.actor == member
    escalation = escalation_of(incident)
    assert escalation.state == EscalationState.STOPPED and escalation.token != token
    assert escalation.next_escalation_at is None and escalation.stopped_at == timezone.now()
    page = Page.objects.get()
    assert (page.status, page.error) == (PageStatus.CANCELLED, f"Cancelled: {reason}.")
    message = Message.objects.get()
    assert message.status == MessageStatus.CANCELLED and message.updated_at == timezone.now()
    assert mail.outbox == []


def test_resolving_an_acknowledged_incident_does_not_stop_it_twice(
    clock, committing, team, alice, member, declare
):
    make_policy(team, [(5, [alice]), (5, [alice])])
    incident = declare(team)
    with committing():
        services.incident_acknowledge(incident=incident, actor=member)
    stopped_at = escalation_of(incident).stopped_at
    clock.shift(timedelta(minutes=1))
    with committing():
        services.incident_resolve(incident=incident, actor=member)
    assert incident.timeline.filter(data__event="stopped").count() == 1
    assert escalation_of(incident).stopped_at == stopped_at


# --- steps: tasks, the sweep, what a step writes -------------------------------------


def test_the_next_step_is_handed_to_a_worker_with_its_token_at_its_due_time(
    clock, team, alice, declare, django_capture_on_commit_callbacks, settings
):
    settings.ESCALATION_ETA_TASKS = True  # a task per step, besides the sweep
    make_policy(team, [(5, [alice]), (5, [alice])])
    with tasks_published_to("memory://") as app:
        with django_capture_on_commit_callbacks(execute=True):
            incident = declare(team, commit=False)
        escalation = escalation_of(incident)
        with app.connection_for_read() as connection:
            route = settings.CELERY_TASK_ROUTES.get("incidents.paging.run_step", {})
            queue = connection.SimpleQueue(route.get("queue", "celery"))
            steps = []
            while True:  # the in-memory broker outlives a test: find this incident's step
                try:
                    task = queue.get(block=False)
                except queue.Empty:
                    break
                steps.append(task.headers)
                task.ack()
            queue.close()
    (headers,) = [h for h in steps if h["argsrepr"].startswith(f"({escalation.pk},")]
    assert headers["task"] == "incidents.paging.run_step"
    assert headers["argsrepr"] == repr((escalation.pk, escalation.token))
    assert headers["eta"] == (timezone.now() + timedelta(minutes=5)).isoformat()


def test_a_step_runs_only_when_due_and_only_while_the_escalation_is_active(
    clock, committing, team, alice, bob, member, declare
):
    make_policy(team, [(5, [alice]), (5, [bob])])
    incident = declare(team)
    escalation = escalation_of(incident)
    clock.shift(timedelta(minutes=5) - timedelta(seconds=1))
    # An early redelivery (with or without its token) does nothing.
    assert paging.escalation_execute_step(escalation_id=escalation.pk) is False
    clock.shift(timedelta(seconds=1))
    with committing():
        assert paging.escalation_execute_step(escalation_id=escalation.pk) is True
    assert Page.objects.filter(user=bob, level=2).count() == 1
    with committing():
        services.incident_acknowledge(incident=incident, actor=member)
    clock.shift(timedelta(hours=1))
    assert paging.escalation_execute_step(escalation_id=escalation.pk) is False
    assert paging.escalation_execute_step(escalation_id=escalation.pk + 1000) is False


def test_the_sweep_runs_every_due_step_across_batches_and_stops_at_its_limit(
    clock, committing, team, alice, declare
):
    make_policy(team, [(5, [alice])], repeat=5)
    incidents = [declare(team, commit=False) for _ in range(3)]
    clock.shift(timedelta(minutes=5))
    with committing():
        assert paging.escalation_run_due(limit=2) == 2
    with committing():
        assert paging.escalation_run_due(batch_size=1) == 1
    assert [Page.objects.filter(incident=i).count() for i in incidents] == [2, 2, 2]
    clock.shift(timedelta(minutes=5))
    with committing():
        assert paging.escalation_run_due(batch_size=2) == 3
    with committing():
        assert paging.escalation_run_due() == 0


def test_the_sweeps_last_batch_is_cut_to_what_is_left_of_its_limit(
    clock, committing, team, alice, declare
):
    make_policy(team, [(5, [alice])], repeat=5)
    for _ in range(5):
        declare(team, commit=False)
    clock.shift(timedelta(minutes=5))
    with committing():
        assert paging.escalation_run_due(batch_size=2, limit=3) == 3
    assert Page.objects.count() == 5 + 3
    with committing():
        assert paging.escalation_run_due(batch_size=2) == 2


def test_a_broken_escalation_is_logged_by_its_id(clock, committing, team, alice, declare, caplog):
    make_policy(team, [(5, [alice])], repeat=3)
    broken = declare(team)
    IncidentEscalation.objects.filter(incident=broken).update(rule_index=7)  # no such rule
    clock.shift(timedelta(minutes=5))
    with caplog.at_level("ERROR", logger="incidents.paging.services.steps"), committing():
        paging.escalation_run_due()
    pk = escalation_of(broken).pk
    assert [r.getMessage() for r in caplog.records if r.name.endswith("steps")] == [
        f"Escalation {pk} failed; will retry"
    ]


def test_one_broken_escalation_does_not_hold_up_the_others(clock, committing, team, alice, declare):
    make_policy(team, [(5, [alice])], repeat=3)
    broken, healthy = declare(team), declare(team)
    IncidentEscalation.objects.filter(incident=broken).update(rule_index=7)  # no such rule
    clock.shift(timedelta(minutes=5))
    with committing():
        assert paging.escalation_run_due() == 2
    assert Page.objects.filter(incident=healthy).count() == 2
    assert Page.objects.filter(incident=broken).count() == 1
    # The broken one is left due for the next sweep, unchanged.
    escalation = escalation_of(broken)
    assert escalation.state == EscalationState.ACTIVE and escalation.rule_index == 7
    assert escalation.next_escalation_at <= timezone.now()


def test_a_step_for_an_incident_that_left_triggered_stops_without_paging(
    clock, committing, team, alice, declare, sweep
):
    make_policy(team, [(5, [alice])], repeat=3)
    incident = declare(team)
    token = escalation_of(incident).token
    # The status changed without the stop reaching the engine (as a lost signal would).
    Incident.objects.filter(pk=incident.pk).update(
        status="investigating", acknowledged_at=timezone.now()
    )
    clock.shift(timedelta(minutes=5))
    sweep()
    escalation = escalation_of(incident)
    assert escalation.state == EscalationState.STOPPED and escalation.token != token
    assert escalation.next_escalation_at is None and escalation.stopped_at == timezone.now()
    assert Page.objects.count() == 1


def test_each_page_is_on_the_timeline_with_its_rule_and_repeat(
    clock, committing, team, alice, bob, declare, sweep
):
    make_policy(team, [(5, [alice, bob])], repeat=1)
    incident = declare(team)
    clock.shift(timedelta(minutes=5))
    sweep()
    assert paged_events(incident) == [
        (
            "Paged alice, bob (rule 1).",
            {
                "level": 1,
                "loop": 0,
                "run": 1,
                "users": [
                    {"id": alice.pk, "username": "alice"},
                    {"id": bob.pk, "username": "bob"},
                ],
            },
        ),
        (
            "Paged alice, bob (rule 1, repeat 1).",
            {
                "level": 1,
                "loop": 1,
                "run": 1,
                "users": [
                    {"id": alice.pk, "username": "alice"},
                    {"id": bob.pk, "username": "bob"},
                ],
            },
        ),
    ]
    assert escalation_events(incident)[-1] == (
        "Escalation finished: every rule was paged 2 times.",
        {"event": "exhausted"},
    )
    page = Page.objects.filter(user=bob).order_by("pk").last()
    assert (page.run, page.loop, page.level, page.reason) == (1, 1, 1, "rule 1")
    escalation = escalation_of(incident)
    assert escalation.stopped_at == timezone.now() and escalation.next_escalation_at is None


def test_a_policy_without_repeats_finishes_after_its_last_rule(
    clock, committing, team, alice, declare
):
    make_policy(team, [(5, [alice])])
    incident = declare(team)
    assert escalation_events(incident)[-1] == (
        "Escalation finished: every rule was paged.",
        {"event": "exhausted"},
    )
    assert escalation_of(incident).state == EscalationState.EXHAUSTED


def test_a_rule_with_nobody_says_so_and_pages_the_managers_or_nobody(
    clock, committing, team, other_team, manager, declare
):
    make_policy(team, [(5, [])])
    incident = declare(team)
    message, data = escalation_events(incident)[1]
    assert message == "Rule 1 has nobody to page (no targets); paging the team's managers instead."
    assert data == {"event": "empty_rule", "level": 1, "notes": []}
    assert list(Page.objects.values_list("user__username", "reason")) == [
        ("priya", "rule 1 fallback to managers")
    ]
    make_policy(other_team, [(5, [])])
    lonely = declare(other_team)
    assert escalation_events(lonely)[1][0] == (
        "Rule 1 has nobody to page (no targets); the team has no managers either: NOBODY WAS PAGED."
    )
    assert not Page.objects.filter(incident=lonely).exists()


def test_a_skipped_low_urgency_rule_names_the_severity(clock, committing, team, alice, declare):
    policy = make_policy(team, [(5, [alice]), (5, [alice])])
    policy.rules.filter(position=0).update(high_urgency_only=True)
    incident = declare(team, severity="SEV3")
    assert escalation_events(incident)[1] == (
        "Rule 1 pages only for high-urgency incidents; this one is SEV3 (low urgency), so the "
        "rule was skipped.",
        {"event": "rule_skipped_low_urgency", "level": 1},
    )
    assert not Page.objects.exists()
    assert escalation_of(incident).next_escalation_at == timezone.now() + timedelta(minutes=5)


def test_the_rooms_hear_once_per_incident_who_was_paged(
    clock, committing, team, alice, bob, declare
):
    ContactMethod.objects.create(user=alice, kind="email", address="alice@example.com")
    ContactMethod.objects.create(user=alice, kind="email", address="alice@home.example")
    make_policy(team, [(5, [alice, bob])])
    heard = []

    def listener(sender, *, incident, users, **kwargs):
        heard.append((incident.pk, sorted(u.username for u in users)))

    responders_paged.connect(listener)
    try:
        incident = declare(team)
    finally:
        responders_paged.disconnect(listener)
    assert Page.objects.filter(user=alice).count() == 2
    assert heard == [(incident.pk, ["alice", "bob"])]


def test_a_sweep_over_two_incidents_tells_the_rooms_about_each_one(
    clock, committing, team, alice, bob, declare
):
    make_policy(team, [(5, [alice]), (5, [bob])])
    first, second = declare(team), declare(team)
    clock.shift(timedelta(minutes=5))
    heard, senders = [], set()

    def listener(sender, *, incident, users, **kwargs):
        senders.add(sender)
        heard.append((incident.pk, sorted(u.username for u in users)))

    responders_paged.connect(listener)
    try:
        with committing():
            assert paging.escalation_run_due() == 2
    finally:
        responders_paged.disconnect(listener)
    assert sorted(heard) == sorted([(first.pk, ["bob"]), (second.pk, ["bob"])])
    assert senders == {Page}  # sent by the Page model


def test_a_contact_method_named_by_two_rules_is_paged_once_at_the_earlier_delay(
    clock, committing, team, alice, declare, sweep
):
    email = ContactMethod.objects.create(user=alice, kind="email", address="alice@example.com")
    hook = ContactMethod.objects.create(user=alice, kind="webhook", address="http://127.0.0.1:9/")
    for position, (delay, method) in enumerate([(3, email), (1, hook), (0, email)]):
        NotificationRule.objects.create(
            user=alice,
            urgency="high",
            delay_minutes=delay,
            contact_method=method,
            position=position,
        )
    make_policy(team, [(30, [alice])])
    declare(team, commit=False)
    pages = list(Page.objects.order_by("not_before", "pk").values_list("channel", "not_before"))
    assert pages == [
        ("email", timezone.now()),
        ("webhook", timezone.now() + timedelta(minutes=1)),
    ]


# --- who is paged through what -------------------------------------------------------


def test_a_person_without_contact_methods_is_paged_at_their_account_email(
    clock, committing, team, alice, declare
):
    make_policy(team, [(5, [alice])])
    declare(team)
    method = ContactMethod.objects.get(user=alice)
    assert (method.kind, method.label, method.address, method.account_default) == (
        "email",
        "Account email",
        "alice@example.com",
        True,
    )
    assert method.min_interval_seconds == settings.PAGING_DEFAULT_MIN_INTERVAL.get("email", 0)
    assert mail.outbox[0].to == ["alice@example.com"]


def test_a_person_whose_only_method_is_disabled_gets_a_failed_page_not_a_default(
    clock, committing, team, alice, bob, declare
):
    ContactMethod.objects.create(user=alice, kind="email", address="a@example.com", enabled=False)
    bob.email = ""
    bob.save(update_fields=["email"])
    make_policy(team, [(5, [alice, bob])])
    declare(team)
    assert ContactMethod.objects.filter(user=alice).count() == 1
    assert not ContactMethod.objects.filter(user=bob).exists()
    failed = Page.objects.order_by("user__username")
    assert [(p.user.username, p.channel, p.status, p.error) for p in failed] == [
        ("alice", "none", PageStatus.FAILED, "No working contact method."),
        ("bob", "none", PageStatus.FAILED, "No working contact method."),
    ]
    assert mail.outbox == [] and not Message.objects.exists()


def test_a_page_is_carried_by_a_message_keyed_by_the_pages_identity(
    clock, committing, team, alice, declare
):
    method = ContactMethod.objects.create(user=alice, kind="email", address="  alice@example.com ")
    make_policy(team, [(5, [alice])])
    incident = declare(team, commit=False)
    page = Page.objects.get()
    message = page.message
    assert message.key == f"page:{incident.pk}:1:0:1:{alice.pk}:{method.pk}"
    assert (message.purpose, message.transport, message.address) == (
        "paging.page",
        "email",
        "alice@example.com",
    )
    assert (message.urgency, message.recipient, message.group, message.bundle) == (
        "high",
        alice,
        f"incident:{incident.pk}",
        f"contact:{method.pk}:high",
    )
    assert message.due_at == timezone.now() and message.status == MessageStatus.QUEUED


def test_pages_queued_without_a_message_are_adopted_and_sent(
    clock, committing, team, alice, declare
):
    make_policy(team, [(5, [alice])])
    declare(team, commit=False)
    # A page written before the outbox existed: no message carries it.
    Page.objects.update(message=None)
    Message.objects.all().delete()
    with committing():
        assert paging.pages_adopt_unsent() == 1
    page = Page.objects.get()
    assert page.message is not None and page.message.urgency == "high"
    with committing():
        assert paging.pages_adopt_unsent() == 0
    from outbox.services import outbox_send_due

    outbox_send_due()
    page.refresh_from_db()
    assert page.status == PageStatus.SENT and len(mail.outbox) == 1


def test_only_queued_pages_with_a_method_and_no_message_are_adopted(
    clock, committing, team, alice, declare
):
    make_policy(team, [(5, [alice])])
    incident = declare(team, commit=False)
    carried = Page.objects.get()
    method, message = carried.contact_method, carried.message

    def page(level, **fields):
        fields.setdefault("contact_method", method)
        fields.setdefault("channel", "email")
        return Page.objects.create(
            incident=incident,
            user=alice,
            level=level,
            not_before=timezone.now(),
            created_at=timezone.now(),
            **fields,
        )

    cancelled = page(2, status=PageStatus.CANCELLED)
    without_method = page(3, contact_method=None, channel="none")
    with committing():
        assert paging.pages_adopt_unsent() == 0
    assert list(Message.objects.all()) == [message]
    carried.refresh_from_db()
    assert carried.message == message
    for left in (cancelled, without_method):
        left.refresh_from_db()
        assert left.message is None


def test_adoption_takes_at_most_500_pages_per_call(clock, committing, team, alice, declare):
    make_policy(team, [(5, [alice])])
    incident = declare(team, commit=False)
    method = Page.objects.get().contact_method
    Page.objects.bulk_create(
        Page(
            incident=incident,
            user=alice,
            level=level,
            contact_method=method,
            channel="email",
            not_before=timezone.now(),
            created_at=timezone.now(),
        )
        for level in range(2, 503)
    )
    with committing():
        assert paging.pages_adopt_unsent() == 500
    assert Page.objects.filter(message__isnull=True).count() == 1
    with committing():
        assert paging.pages_adopt_unsent() == 1


# --- sending and its outcome ---------------------------------------------------------


def test_a_webhook_page_says_which_incident_and_how_to_acknowledge_it(
    clock, committing, team, alice, declare
):
    make_policy(team, [(5, [alice])])
    with HttpReceiver() as sink:
        ContactMethod.objects.create(user=alice, kind="webhook", address=sink.url)
        incident = declare(team, title="Checkout is down")
    body = sink.requests[0].json()
    item = body["incidents"][0]
    assert body["recipient"] == "alice"
    assert (item["id"], item["reference"], item["title"]) == (
        incident.pk,
        incident.reference,
        "Checkout is down",
    )
    assert (item["severity"], item["status"], item["level"]) == ("SEV1", "triggered", 1)
    assert item["url"] == f"{settings.SITE_URL}/incidents/{incident.pk}/"
    token = item["acknowledge_url"].rstrip("/").rsplit("/", 1)[-1]
    assert item["acknowledge_url"].startswith(settings.SITE_URL + "/")
    assert paging.ack_token_read(token) == (incident.pk, alice.pk, 0)


def test_a_sent_page_records_when_and_how_often_and_the_method_remembers_it(
    clock, committing, team, alice, declare, sweep
):
    make_policy(team, [(5, [alice])])
    with HttpReceiver() as sink:
        sink.replies = [(503, {})]
        method = ContactMethod.objects.create(user=alice, kind="webhook", address=sink.url)
        declare(team)
        page = Page.objects.get()
        assert (page.status, page.attempts) == (PageStatus.QUEUED, 1)
        assert page.error == "HTTP 503 from the receiver."
        assert page.not_before == timezone.now() + timedelta(seconds=30)
        method.refresh_from_db()
        assert method.last_error == "HTTP 503 from the receiver."
        assert method.last_failed_at == timezone.now() and method.last_sent_at is None
        clock.shift(timedelta(seconds=30))
        sweep()
    page.refresh_from_db()
    assert (page.status, page.attempts, page.error) == (PageStatus.SENT, 2, "")
    assert page.sent_at == timezone.now() and page.bundle_size == 1
    method.refresh_from_db()
    assert method.last_sent_at == timezone.now()


def test_a_page_that_fails_for_good_says_so_on_the_timeline(
    clock, committing, team, alice, declare, sweep, settings
):
    settings.OUTBOX_MAX_ATTEMPTS = 2
    make_policy(team, [(60, [alice])])
    with HttpReceiver(default=(503, {})) as sink:
        ContactMethod.objects.create(user=alice, kind="webhook", address=sink.url)
        incident = declare(team)
        clock.shift(timedelta(seconds=30))
        sweep()
    page = Page.objects.get()
    assert (page.status, page.attempts) == (PageStatus.FAILED, 2)
    failed = incident.timeline.get(data__event="page_failed")
    assert failed.message == (
        "Page to alice via webhook failed after 2 attempts: HTTP 503 from the receiver."
    )
    assert failed.data == {"event": "page_failed", "page": page.pk, "message": page.message_id}
    assert failed.created_at == timezone.now()


def test_a_page_that_fails_for_good_at_its_first_attempt_says_attempt(
    clock, committing, team, alice, declare
):
    make_policy(team, [(60, [alice])])
    with HttpReceiver(default=(404, {})) as sink:
        ContactMethod.objects.create(user=alice, kind="webhook", address=sink.url)
        incident = declare(team)
    failed = incident.timeline.get(data__event="page_failed")
    assert failed.message == (
        "Page to alice via webhook failed after 1 attempt: HTTP 404 from the receiver."
    )


def test_a_method_disabled_before_the_send_fails_the_page_and_sends_nothing(
    clock, committing, team, alice, declare
):
    make_policy(team, [(5, [alice])])
    method = ContactMethod.objects.create(user=alice, kind="email", address="alice@example.com")
    declare(team, commit=False)
    method.enabled = False
    method.save(update_fields=["enabled"])
    from outbox.services import outbox_send_due

    outbox_send_due()
    page = Page.objects.get()
    assert (page.status, page.error) == (
        PageStatus.FAILED,
        "Contact method disabled or user deactivated.",
    )
    assert Message.objects.get().status == MessageStatus.CANCELLED and mail.outbox == []


def test_a_page_of_an_incident_acknowledged_meanwhile_is_cancelled_at_the_last_moment(
    clock, committing, team, alice, declare
):
    make_policy(team, [(5, [alice])])
    incident = declare(team, commit=False)
    Incident.objects.filter(pk=incident.pk).update(
        status="acknowledged", acknowledged_at=timezone.now()
    )
    from outbox.services import outbox_send_due

    outbox_send_due()
    page = Page.objects.get()
    assert (page.status, page.error) == (
        PageStatus.CANCELLED,
        "Cancelled: acknowledged before it went out.",
    )
    assert mail.outbox == []


def test_acknowledging_one_incident_leaves_the_others_escalating(
    clock, committing, team, alice, member, declare
):
    make_policy(team, [(5, [alice]), (5, [alice])])
    first, second = declare(team), declare(team)
    with committing():
        services.incident_acknowledge(incident=second, actor=member)
    assert escalation_of(first).state == EscalationState.ACTIVE
    assert escalation_of(second).state == EscalationState.STOPPED
    assert not first.timeline.filter(data__event="stopped").exists()


def test_acknowledging_after_the_escalation_finished_keeps_it_finished(
    clock, committing, team, alice, member, declare
):
    make_policy(team, [(5, [alice])])
    incident = declare(team)
    assert escalation_of(incident).state == EscalationState.EXHAUSTED
    with committing():
        services.incident_acknowledge(incident=incident, actor=member)
    assert escalation_of(incident).state == EscalationState.EXHAUSTED
    assert not incident.timeline.filter(data__event="stopped").exists()


def test_stopping_reports_whether_anything_was_escalating(clock, committing, team, alice, declare):
    make_policy(team, [(5, [alice]), (5, [alice])])
    incident = declare(team)
    assert paging.escalation_stop(incident=incident, reason="acknowledged") is True
    assert paging.escalation_stop(incident=incident, reason="acknowledged") is False
    assert incident.timeline.filter(data__event="stopped").count() == 1


def test_acknowledging_leaves_a_page_already_being_sent_and_cancels_one_not_yet_carried(
    clock, committing, team, alice, bob, member, declare
):
    from outbox.services import message_send, messages_claim

    make_policy(team, [(5, [alice, bob]), (5, [alice])])
    incident = declare(team, commit=False)
    alice_page, bob_page = Page.objects.order_by("user__username")
    (claimed,) = messages_claim(ids=[alice_page.message_id])  # a sender has alice's page
    Page.objects.filter(pk=bob_page.pk).update(message=None)  # bob's awaits adoption
    with committing():
        services.incident_acknowledge(incident=incident, actor=member)
    alice_page.refresh_from_db()
    bob_page.refresh_from_db()
    assert alice_page.status == PageStatus.QUEUED
    assert (bob_page.status, bob_page.error) == (PageStatus.CANCELLED, "Cancelled: acknowledged.")
    assert Message.objects.get(pk=claimed.pk).status == MessageStatus.SENDING
    # The sender then renders it, finds the incident acknowledged and sends nothing.
    assert message_send(claimed) == MessageStatus.CANCELLED
    alice_page.refresh_from_db()
    assert alice_page.error == "Cancelled: acknowledged before it went out."
    assert mail.outbox == []


def test_acknowledging_leaves_a_failed_page_failed(clock, committing, team, alice, member, declare):
    ContactMethod.objects.create(user=alice, kind="email", address="a@example.com", enabled=False)
    make_policy(team, [(5, [alice]), (5, [alice])])
    incident = declare(team)
    with committing():
        services.incident_acknowledge(incident=incident, actor=member)
    page = Page.objects.get()
    assert (page.status, page.error) == (PageStatus.FAILED, "No working contact method.")


def test_a_step_task_runs_its_own_escalation_only(clock, committing, team, alice, bob, declare):
    make_policy(team, [(5, [alice]), (5, [bob])])
    first, second = declare(team), declare(team)
    clock.shift(timedelta(minutes=5))
    escalation = escalation_of(second)
    with committing():
        assert (
            paging.escalation_execute_step(escalation_id=escalation.pk, token=escalation.token)
            is True
        )
    assert Page.objects.filter(user=bob, incident=second).count() == 1
    assert not Page.objects.filter(user=bob, incident=first).exists()


def test_every_service_under_maintenance_is_named_with_its_own_end(
    clock, committing, team, alice, declare
):
    from incidents.models import MaintenanceWindow
    from tests.incidents.factories import ServiceFactory

    make_policy(team, [(5, [alice])])
    checkout = ServiceFactory(team=team, name="Checkout", slug="checkout")
    ledger = ServiceFactory(team=team, name="Ledger", slug="ledger")
    now = timezone.now()
    for service, hours in ((ledger, 3), (checkout, 2)):
        window = MaintenanceWindow.objects.create(
            team=team,
            title="Upgrade",
            starts_at=now - timedelta(hours=1),
            ends_at=now + timedelta(hours=hours),
        )
        window.services.set([service])
    incident = declare(team, services=[ledger, checkout])
    assert [m for m, _data in escalation_events(incident)] == [
        "Not paged: Checkout under maintenance until 2026-03-02 12:00 UTC, "
        "Ledger under maintenance until 2026-03-02 13:00 UTC."
    ]
    assert not Page.objects.exists()
