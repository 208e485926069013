"""The paging engine's metrics figures against a known data set.

Period 2026-11-02 (Mon) to 2026-11-16 (Mon): two ISO weeks. Engineers of Payments: alice,
bob, carol (3 engineers x 2 weeks = 6 engineer-weeks).

    week of 11-02  alice 12 steps on I1 (two of them through two contact methods: count once)
                   bob    3 steps on I1 (one still queued), plus one cancelled (not counted)
                   alice  1 step on Mobile's incident J (another team: not counted)
    week of 11-09  alice  3 steps on I2 (SEV2)
    11-16 00:30    bob    1 step on I2 (outside the period)

Counted: 12 + 3 + 3 = 18 pages; mean 18 / 6 = 3; max 12; alice is over the limit of 10.
"""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import override_settings

from incidents.paging.models import Page, PageStatus
from tests.incidents.factories import IncidentFactory
from tests.oncall.factories import make_policy

NOW = datetime(2026, 11, 16, 12, 0, tzinfo=UTC)


PERIOD = {"since": "2026-11-02T00:00:00Z", "until": "2026-11-16T00:00:00Z"}


TOKEN = "scrape-secret"


def d(day, hour, minute=0):
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


def page(incident, user, at, *, loop=0, level=1, channel="email", status=PageStatus.SENT):
    return Page.objects.create(
        incident=incident,
        user=user,
        channel=channel,
        loop=loop,
        level=level,
        status=status,
        not_before=at,
        created_at=at,
        sent_at=at if status == PageStatus.SENT else None,
    )


@pytest.fixture
def dataset(team, other_team, outsider, people):
    alice, bob = people["alice"], people["bob"]
    with time_machine.travel(d(2, 9), tick=False):
        i1 = IncidentFactory(team=team, actor=alice, severity="SEV1")
    with time_machine.travel(d(9, 9), tick=False):
        i2 = IncidentFactory(team=team, actor=alice, severity="SEV2")
    with time_machine.travel(d(3, 9), tick=False):
        j = IncidentFactory(team=other_team, actor=outsider, severity="SEV1")
    for step in range(12):
        at = d(2, 10) + timedelta(minutes=10 * step)
        page(i1, alice, at, loop=step)
        if step < 2:
            page(i1, alice, at, loop=step, channel="sms")
    page(i1, bob, d(3, 10), level=2)
    page(i1, bob, d(3, 11), level=2, loop=1)
    page(i1, bob, d(3, 12), level=2, loop=2, status=PageStatus.CANCELLED)
    page(i1, bob, d(3, 13), level=2, loop=3, status=PageStatus.QUEUED)
    page(j, alice, d(3, 10))
    for step in range(3):
        page(i2, alice, d(10, 10) + timedelta(hours=step), loop=step)
    page(i2, bob, d(16, 0, 30))
    return team


def _metrics(api, user, **params):
    with time_machine.travel(NOW, tick=False):
        response = api.as_user(user).get("/api/v1/metrics/", params)
    assert response.status_code == 200, response.content
    return response.json()


def test_pages_per_engineer_per_week_exact_figures(api, dataset, people):
    body = _metrics(api, people["carol"], team=dataset.slug, **PERIOD)
    figure = body["pages_per_engineer_per_week"]
    assert "pages_per_engineer_per_week" not in body["unavailable"]
    assert figure["mean"] == 3.0
    assert figure["max"] == 12
    assert figure["limit"] == 10
    assert figure["over_limit"] == [
        {
            "user_id": people["alice"].pk,
            "username": "alice",
            "max_pages": 12,
            "weeks": [{"week_start": "2026-11-02", "pages": 12}],
        }
    ]


def test_pages_per_engineer_follow_the_severity_filter(api, dataset, people):
    body = _metrics(api, people["bob"], team=dataset.slug, severity="SEV2", **PERIOD)
    figure = body["pages_per_engineer_per_week"]
    assert (figure["mean"], figure["max"], figure["over_limit"]) == (0.5, 3, [])


def test_another_team_sees_only_its_own_pages(api, dataset, outsider):
    # Mobile: one engineer (olivia) who was never paged; alice's page for J is not hers.
    figure = _metrics(api, outsider, **PERIOD)["pages_per_engineer_per_week"]
    assert (figure["mean"], figure["max"], figure["over_limit"]) == (0.0, 0, [])


@override_settings(ONCALL_PAGES_PER_WEEK_LIMIT=2)
def test_the_limit_is_a_setting(api, dataset, people):
    figure = _metrics(api, people["alice"], team=dataset.slug, **PERIOD)[
        "pages_per_engineer_per_week"
    ]
    assert [(u["username"], u["weeks"]) for u in figure["over_limit"]] == [
        (
            "alice",
            [
                {"week_start": "2026-11-02", "pages": 12},
                {"week_start": "2026-11-09", "pages": 3},
            ],
        ),
        ("bob", [{"week_start": "2026-11-02", "pages": 3}]),
    ]


def test_metrics_query_count_does_not_grow_with_pages(
    api, dataset, people, django_assert_max_num_queries
):
    with django_assert_max_num_queries(20) as few:
        _metrics(api, people["alice"], team=dataset.slug, **PERIOD)
    incident = Page.objects.filter(user=people["alice"]).first().incident
    for step in range(30):
        page(incident, people["carol"], d(4, 10) + timedelta(minutes=step), loop=step, level=3)
    with django_assert_max_num_queries(len(few.captured_queries)):
        figure = _metrics(api, people["alice"], team=dataset.slug, **PERIOD)[
            "pages_per_engineer_per_week"
        ]
    assert figure["max"] == 30


def _scrape(client):
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
    return [
        line
        for line in response.content.decode().splitlines()
        if line.startswith("tocsin_escalation_engine_lag_seconds")
    ]


@override_settings(METRICS_TOKEN=TOKEN)
def test_engine_lag_is_how_late_the_oldest_due_step_is(
    client, committing, team, people, api, declare, sweep
):
    t0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    make_policy(team, [(5, [people["alice"]]), (5, [people["bob"]])])
    with time_machine.travel(t0, tick=False) as clock:
        assert _scrape(client) == ["tocsin_escalation_engine_lag_seconds 0.0"]
        declare(team)
        # The first rule ran at once; the second is due at t0 + 5 min.
        clock.move_to(t0 + timedelta(minutes=4))
        assert _scrape(client) == ["tocsin_escalation_engine_lag_seconds 0.0"]
        clock.move_to(t0 + timedelta(minutes=5, seconds=42))
        assert _scrape(client) == ["tocsin_escalation_engine_lag_seconds 42.0"]
        # A second incident due later does not hide the older one.
        declare(team)
        assert _scrape(client) == ["tocsin_escalation_engine_lag_seconds 42.0"]
        sweep()
        assert _scrape(client) == ["tocsin_escalation_engine_lag_seconds 0.0"]
    # Pages sent by the engine count in pages_per_engineer_per_week.
    with time_machine.travel(t0 + timedelta(hours=1), tick=False):
        body = api.as_user(people["carol"]).get(
            "/api/v1/metrics/", {"since": "2026-03-02", "until": "2026-03-09"}
        )
    figure = body.json()["pages_per_engineer_per_week"]
    # alice: 2 incidents, bob: 1 (second rule of the first incident); 3 engineers, 1 week.
    assert (figure["max"], figure["mean"]) == (2, 1.0)
