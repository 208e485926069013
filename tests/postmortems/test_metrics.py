"""Completion rates: the pure formulas, then the selector on a known data set."""

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine

from postmortems import selectors, services
from postmortems.metrics import (
    ActionItemFacts,
    PostmortemFacts,
    action_item_completion_rate,
    postmortem_completion_rate,
)
from tests.postmortems.factories import ActionItemFactory, postmortem_for, ready_to_publish

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
DUE = T0 + timedelta(hours=48)


def test_postmortem_rate_counts_required_published_within_sla():
    facts = [
        PostmortemFacts(required=True, due_at=DUE, published_at=DUE - timedelta(hours=1)),
        PostmortemFacts(required=True, due_at=DUE, published_at=DUE),  # on the dot: on time
        PostmortemFacts(required=True, due_at=DUE, published_at=DUE + timedelta(minutes=1)),
        PostmortemFacts(required=True, due_at=DUE, published_at=None),
        PostmortemFacts(required=False, due_at=DUE, published_at=DUE),  # not counted
    ]
    rate = postmortem_completion_rate(facts)
    assert (rate.numerator, rate.denominator, rate.value) == (2, 4, 0.5)
    assert postmortem_completion_rate([]).value is None


def test_action_item_rate_counts_done_by_due_date_among_items_due_in_period():
    since, until = date(2026, 3, 1), date(2026, 4, 1)
    facts = [
        ActionItemFacts(date(2026, 3, 10), "done", date(2026, 3, 9)),
        ActionItemFacts(date(2026, 3, 10), "done", date(2026, 3, 10)),  # on the due date
        ActionItemFacts(date(2026, 3, 10), "done", date(2026, 3, 11)),  # late
        ActionItemFacts(date(2026, 3, 20), "open", None),
        ActionItemFacts(date(2026, 3, 31), "in_progress", None),
        ActionItemFacts(date(2026, 3, 15), "wont_do", None),  # a decision: not counted
        ActionItemFacts(date(2026, 4, 1), "done", date(2026, 3, 1)),  # outside the period
        ActionItemFacts(date(2026, 2, 28), "open", None),  # outside the period
    ]
    rate = action_item_completion_rate(facts, since=since, until=until)
    assert (rate.numerator, rate.denominator) == (2, 5)
    assert rate.value == pytest.approx(0.4)
    assert rate.as_dict() == {"numerator": 2, "denominator": 5, "rate": 0.4}


@pytest.mark.django_db
def test_completion_rates_on_a_known_data_set(team, member, other_team, outsider):
    with time_machine.travel(T0, tick=False):
        on_time = postmortem_for(team=team, actor=member, severity="SEV1")
        late = postmortem_for(team=team, actor=member, severity="SEV2")
        unpublished = postmortem_for(team=team, actor=member, severity="SEV2")
        postmortem_for(team=other_team, actor=outsider, severity="SEV1")  # other team
    for pm in (on_time, late):
        ready_to_publish(pm, member)
        services.postmortem_submit(postmortem=pm, actor=member)
    with time_machine.travel(T0 + timedelta(hours=47), tick=False):
        services.postmortem_publish(postmortem=on_time, actor=member)
    with time_machine.travel(T0 + timedelta(hours=60), tick=False):
        services.postmortem_publish(postmortem=late, actor=member)

    items = [
        ActionItemFactory(actor=member, postmortem=unpublished, owner=member, due_date=due)
        for due in (date(2026, 3, 10), date(2026, 3, 10), date(2026, 3, 12), date(2026, 3, 20))
    ]
    with time_machine.travel(datetime(2026, 3, 9, 12, 0, tzinfo=UTC), tick=False):
        services.action_item_set_status(item=items[0], actor=member, status="done")
    with time_machine.travel(datetime(2026, 3, 13, 12, 0, tzinfo=UTC), tick=False):
        services.action_item_set_status(item=items[1], actor=member, status="done")  # late
        services.action_item_set_status(item=items[2], actor=member, status="in_progress")

    rates = selectors.completion_rates(
        teams=[team],
        since=datetime(2026, 3, 1, tzinfo=UTC),
        until=datetime(2026, 4, 1, tzinfo=UTC),
    )
    assert rates["postmortems"].as_dict() == {"numerator": 1, "denominator": 3, "rate": 1 / 3}
    assert rates["action_items"].as_dict() == {"numerator": 1, "denominator": 4, "rate": 0.25}
