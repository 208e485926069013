"""Events API v2 under load: the per-integration rate limit (429 with Retry-After, counted
across database sessions) and alert storms grouped into one incident."""

import threading
from datetime import UTC, datetime

import pytest
import requests
import time_machine
from django.db import connection

from common.errors import RateLimited
from incidents.alerts.models import Alert, AlertEvent
from incidents.alerts.parsers import events_v2
from incidents.models import Incident, IncidentStatus
from tests.incidents.alerts.enqueue import post, trigger

pytestmark = pytest.mark.django_db


def test_rate_limit_answers_429_with_retry_after(make_integration):
    _, key = make_integration(rate_limit_per_minute=3)
    with time_machine.travel(datetime(2026, 3, 2, 10, 15, 40, tzinfo=UTC), tick=False):
        for index in range(3):
            assert post(trigger(key, dedup_key=f"k{index}")).status_code == 202
        response = post(trigger(key, dedup_key="k4"))
    assert response.status_code == 429
    assert response["Retry-After"] == "20"
    assert response.json()["status"] == "throttle event"
    with time_machine.travel(datetime(2026, 3, 2, 10, 16, 1, tzinfo=UTC), tick=False):
        assert post(trigger(key, dedup_key="k4")).status_code == 202


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_rate_limit_counts_the_events_of_every_database_session(make_integration):
    """Each session (web thread, process or host) counts in its own row of the window,
    so the limit holds for their sum."""
    from incidents.alerts.models import IngestRateWindow
    from incidents.alerts.services.inbox import alert_event_receive

    _, key = make_integration(rate_limit_per_minute=4)
    event = events_v2.parse_event(trigger(key, dedup_key="shared"))
    outcomes = {"main": [], "other": []}

    def receive(who):
        try:
            alert_event_receive(routing_key=key, event=event)
            outcomes[who].append(202)
        except RateLimited:
            outcomes[who].append(429)

    def other_session(count):
        try:
            for _ in range(count):
                receive("other")
        finally:
            connection.close()

    with time_machine.travel(datetime(2026, 3, 2, 10, 15, 10, tzinfo=UTC), tick=False):
        receive("main")
        receive("main")
        helper = threading.Thread(target=other_session, args=(3,))
        helper.start()
        helper.join()
        receive("main")
    assert outcomes == {"main": [202, 202, 429], "other": [202, 202, 429]}
    windows = IngestRateWindow.objects.all()
    assert len(windows) == 2  # one row per session
    assert sum(window.count for window in windows) == 6
    assert AlertEvent.objects.count() == 4


def test_alert_storm_groups_new_alerts_into_one_incident(make_integration):
    _, key = make_integration(storm_threshold_per_minute=3)
    with time_machine.travel(datetime(2026, 3, 2, 10, 0, tzinfo=UTC), tick=False):
        for index in range(8):
            assert post(trigger(key, dedup_key=f"host-{index}")).status_code == 202
    incidents = list(Incident.objects.order_by("id"))
    assert len(incidents) == 4  # three incidents, then one storm for the other five
    storm = incidents[-1]
    assert storm.title.startswith("Alert storm from")
    assert storm.alerts.count() == 5
    assert all(a.storm for a in storm.alerts.all())
    # A repeat of a stormed alert still deduplicates onto the storm.
    post(trigger(key, dedup_key="host-7"))
    assert Incident.objects.count() == 4
    # When every stormed alert has resolved, the storm resolves.
    for index in range(3, 8):
        post({"routing_key": key, "event_action": "resolve", "dedup_key": f"host-{index}"})
    storm.refresh_from_db()
    assert storm.status == IncidentStatus.RESOLVED


def test_storm_window_is_per_minute(make_integration):
    _, key = make_integration(storm_threshold_per_minute=2)
    for minute in range(3):
        with time_machine.travel(datetime(2026, 3, 2, 10, minute * 2, tzinfo=UTC), tick=False):
            post(trigger(key, dedup_key=f"a{minute}"))
            post(trigger(key, dedup_key=f"b{minute}"))
    assert Incident.objects.count() == 6
    assert not Alert.objects.filter(storm=True).exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_new_alerts_during_a_storm_share_one_storm_incident(
    live_server, make_integration
):
    integration, key = make_integration(rate_limit_per_minute=0, storm_threshold_per_minute=2)
    url = f"{live_server.url}/v2/enqueue"
    senders, per_sender = 6, 4
    barrier = threading.Barrier(senders)
    answers = []

    def send(sender):
        barrier.wait()
        for index in range(per_sender):
            body = trigger(key, dedup_key=f"host-{sender}-{index}")
            answers.append(requests.post(url, json=body, timeout=30).status_code)

    threads = [threading.Thread(target=send, args=(n,)) for n in range(senders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == [202] * senders * per_sender
    assert Alert.objects.count() == senders * per_sender
    storms = Incident.objects.filter(dedup_key=f"storm:{integration.pk}")
    assert storms.count() == 1
    assert (
        Alert.objects.filter(storm=True, incident=storms.get()).count()
        == Alert.objects.filter(storm=True).count()
    )
    assert Alert.objects.filter(incident=None).count() == 0
