"""Mirroring incidents to PagerDuty through pdpyras, against a local receiver."""

from functools import partial

import pytest
from django.test import override_settings

from incidents import services
from incidents.mirroring.models import MirrorDelivery, MirrorDeliveryStatus
from incidents.mirroring.services import mirror_flush, pagerduty_mirror_create
from incidents.models import TimelineEventKind
from tests.incidents.factories import ServiceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def eager(eager_celery, eager_retries):
    """Run tasks in-process. Eager retries only run when errors do not propagate (with
    propagation Celery re-raises the Retry instead of running the task again)."""


@pytest.fixture
def declare(declare):
    """Each test says when the declaration commits."""
    return partial(declare, title="Payments down", commit=False)


def test_trigger_acknowledge_resolve_reach_pagerduty_in_order(
    team, eager, pagerduty_receiver, django_capture_on_commit_callbacks, declare
):
    pagerduty_mirror_create(actor=None, team=team, routing_key="R" * 32)
    with pagerduty_receiver() as pd, override_settings(PAGERDUTY_EVENTS_URL=pd.url):
        with django_capture_on_commit_callbacks(execute=True):
            incident = declare(team)
        with django_capture_on_commit_callbacks(execute=True):
            services.incident_acknowledge(incident=incident, actor=None)
        with django_capture_on_commit_callbacks(execute=True):
            services.incident_resolve(incident=incident, actor=None)

    assert [r.path for r in pd.requests] == ["/v2/enqueue"] * 3
    bodies = [r.json() for r in pd.requests]
    assert [b["event_action"] for b in bodies] == ["trigger", "acknowledge", "resolve"]
    assert {b["dedup_key"] for b in bodies} == {str(incident.pk)}
    assert {b["routing_key"] for b in bodies} == {"R" * 32}
    payload = bodies[0]["payload"]
    assert payload["summary"] == f"[{incident.reference}] Payments down"
    assert payload["severity"] == "critical"
    assert payload["source"] == "tocsin"
    assert payload["custom_details"]["reference"] == incident.reference
    assert MirrorDelivery.objects.filter(status=MirrorDeliveryStatus.SENT).count() == 3
    mirrored = incident.timeline.filter(kind=TimelineEventKind.PAGERDUTY_MIRROR)
    assert [e.message for e in mirrored] == [
        "Mirrored to PagerDuty: trigger",
        "Mirrored to PagerDuty: acknowledge",
        "Mirrored to PagerDuty: resolve",
    ]


def test_receiver_that_fails_then_recovers_still_gets_every_event(
    team, eager, pagerduty_receiver, django_capture_on_commit_callbacks, declare
):
    pagerduty_mirror_create(actor=None, team=team, routing_key="R" * 32)
    with pagerduty_receiver(fail_first=2) as pd, override_settings(PAGERDUTY_EVENTS_URL=pd.url):
        with django_capture_on_commit_callbacks(execute=True):
            incident = declare(team)
        with django_capture_on_commit_callbacks(execute=True):
            services.incident_resolve(incident=incident, actor=None)

    # Two refusals, then the trigger and the resolve, in order.
    assert [r.json()["event_action"] for r in pd.requests] == [
        "trigger",
        "trigger",
        "trigger",
        "resolve",
    ]
    assert [b["event_action"] for b in pd.accepted] == ["trigger", "resolve"]
    events = list(incident.timeline.filter(kind=TimelineEventKind.PAGERDUTY_MIRROR))
    assert [e.data.get("error") is not None for e in events] == [True, True, False, False]
    assert "attempt 1 of 8" in events[0].message
    assert "HTTP 500" in events[0].message
    assert events[2].message == "Mirrored to PagerDuty: trigger (after 3 attempts)"


def test_gives_up_after_max_attempts_and_says_so_on_the_timeline(
    team, eager, pagerduty_receiver, django_capture_on_commit_callbacks, settings, declare
):
    settings.PAGERDUTY_MIRROR_MAX_ATTEMPTS = 3
    pagerduty_mirror_create(actor=None, team=team, routing_key="R" * 32)
    with (
        pagerduty_receiver(fail_first=100) as pd,
        override_settings(PAGERDUTY_EVENTS_URL=pd.url),
        django_capture_on_commit_callbacks(execute=True),
    ):
        incident = declare(team)
    assert len(pd.requests) == 3
    delivery = MirrorDelivery.objects.get()
    assert delivery.status == MirrorDeliveryStatus.FAILED
    assert delivery.attempts == 3
    last = incident.timeline.filter(kind=TimelineEventKind.PAGERDUTY_MIRROR).last()
    assert "giving up" in last.message


def test_unreachable_pagerduty_is_recorded_and_sent_later(
    team, pagerduty_receiver, django_capture_on_commit_callbacks, settings, declare
):
    pagerduty_mirror_create(actor=None, team=team, routing_key="R" * 32)
    with pagerduty_receiver() as pd:
        closed_url = pd.url
    settings.PAGERDUTY_EVENTS_URL = closed_url  # nothing listens there any more
    incident = declare(team)
    result = mirror_flush(incident_id=incident.pk)
    assert result.retry and result.sent == 0
    delivery = MirrorDelivery.objects.get()
    assert delivery.status == MirrorDeliveryStatus.PENDING
    assert delivery.last_error
    with pagerduty_receiver() as pd:
        settings.PAGERDUTY_EVENTS_URL = pd.url
        assert mirror_flush(incident_id=incident.pk).sent == 1
    assert [b["event_action"] for b in pd.accepted] == ["trigger"]


def test_service_mirror_wins_over_team_mirror_and_no_mirror_sends_nothing(
    team, other_team, eager, pagerduty_receiver, django_capture_on_commit_callbacks, declare
):
    checkout = ServiceFactory(team=team)
    pagerduty_mirror_create(actor=None, team=team, routing_key="TEAM")
    pagerduty_mirror_create(actor=None, team=team, service=checkout, routing_key="SERVICE")
    with (
        pagerduty_receiver() as pd,
        override_settings(PAGERDUTY_EVENTS_URL=pd.url),
        django_capture_on_commit_callbacks(execute=True),
    ):
        declare(team, services=[checkout])
        declare(team)
        declare(other_team)
    assert sorted(b["routing_key"] for b in pd.accepted) == ["SERVICE", "TEAM"]


def test_reopen_triggers_again_and_skipping_acknowledge_still_acknowledges(
    team, eager, pagerduty_receiver, django_capture_on_commit_callbacks, declare
):
    pagerduty_mirror_create(actor=None, team=team, routing_key="R" * 32)
    with pagerduty_receiver() as pd, override_settings(PAGERDUTY_EVENTS_URL=pd.url):
        with django_capture_on_commit_callbacks(execute=True):
            incident = declare(team)
        with django_capture_on_commit_callbacks(execute=True):
            services.incident_set_status(incident=incident, to_status="investigating", actor=None)
        with django_capture_on_commit_callbacks(execute=True):
            services.incident_resolve(incident=incident, actor=None)
        with django_capture_on_commit_callbacks(execute=True):
            services.incident_reopen(incident=incident, actor=None)
    assert [b["event_action"] for b in pd.accepted] == [
        "trigger",
        "acknowledge",
        "resolve",
        "trigger",
    ]


def test_sweeper_resends_deliveries_whose_task_was_lost_but_not_those_backing_off(
    team, eager, pagerduty_receiver, declare
):
    from datetime import timedelta

    import time_machine
    from django.utils import timezone

    from incidents.mirroring.tasks import pagerduty_mirror_sweep

    pagerduty_mirror_create(actor=None, team=team, routing_key="R" * 32)
    lost = declare(team)  # its on-commit task never ran (as if the broker was down)
    backing_off = declare(team)
    MirrorDelivery.objects.filter(incident=backing_off).update(
        next_attempt_at=timezone.now() + timedelta(minutes=10)
    )
    with pagerduty_receiver() as pd, override_settings(PAGERDUTY_EVENTS_URL=pd.url):
        assert pagerduty_mirror_sweep() == 0  # nothing overdue yet
        with time_machine.travel(timezone.now() + timedelta(minutes=2)):
            assert pagerduty_mirror_sweep() == 1
    assert [b["dedup_key"] for b in pd.accepted] == [str(lost.pk)]
    assert MirrorDelivery.objects.get(incident=lost).status == MirrorDeliveryStatus.SENT
    assert MirrorDelivery.objects.get(incident=backing_off).status == MirrorDeliveryStatus.PENDING
