"""The drill's measures and findings, computed without a database."""

from datetime import UTC, datetime, timedelta

import pytest

from readiness.drills import scoring

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def facts(**changes):
    base = {
        "triggered_at": T0,
        "acknowledged_at": T0 + timedelta(minutes=4),
        "first_update_at": T0 + timedelta(minutes=6),
        "resolved_at": T0 + timedelta(minutes=50),
        "ack_target": timedelta(minutes=5),
        "resolve_target": timedelta(hours=1),
        "update_target": timedelta(minutes=5),
        "runbook_title": "Checkout failover",
        "runbook_wanted": None,
        "runbook_opened_at": T0 + timedelta(minutes=5),
        "finished": True,
    }
    return scoring.DrillFacts(**{**base, **changes})


def by_key(measures):
    return {m.key: m for m in measures}


def test_each_target_met_or_missed_and_one_finding_per_miss():
    measures = scoring.drill_measures(facts())
    found = by_key(measures)
    assert found["acknowledge"].met is True and found["acknowledge"].actual == timedelta(minutes=4)
    assert found["first_update"].met is False
    assert found["resolve"].met is True and found["runbook"].met is True
    assert [(f.measure, f.title) for f in scoring.drill_findings(measures)] == [
        ("first_update", "Time to the first update missed the target")
    ]


def test_a_running_drill_judges_only_what_happened():
    measures = by_key(
        scoring.drill_measures(
            facts(resolved_at=None, first_update_at=None, runbook_opened_at=None, finished=False)
        )
    )
    assert measures["resolve"].met is None and measures["first_update"].met is None
    assert measures["runbook"].met is None
    assert measures["acknowledge"].met is True


def test_when_it_ends_what_never_happened_is_missed():
    measures = scoring.drill_measures(facts(first_update_at=None, runbook_opened_at=None))
    titles = {f.measure: f.title for f in scoring.drill_findings(measures)}
    assert titles == {
        "first_update": "Time to the first update: not done during the drill",
        "runbook": "Runbook not opened during the drill",
    }


@pytest.mark.parametrize(
    ("wanted", "note"),
    [(None, "No runbook matched the alert."), ("DB", "“DB” did not match the alert.")],
)
def test_no_matching_runbook_is_a_finding(wanted, note):
    measures = scoring.drill_measures(facts(runbook_title=None, runbook_wanted=wanted))
    runbook = by_key(measures)["runbook"]
    assert (runbook.met, runbook.note) == (False, note)
    finding = next(f for f in scoring.drill_findings(measures) if f.measure == "runbook")
    assert finding.title == "No runbook matched the drill's alert"


def test_a_severity_without_an_update_target_only_asks_for_an_update():
    measures = by_key(scoring.drill_measures(facts(update_target=None)))
    assert measures["first_update"].met is None
    measures = by_key(scoring.drill_measures(facts(update_target=None, first_update_at=None)))
    assert measures["first_update"].met is False


@pytest.mark.parametrize(
    ("delta", "words"),
    [
        (None, "–"),
        (timedelta(seconds=45), "45 s"),
        (timedelta(minutes=4, seconds=30), "4 min 30 s"),
        (timedelta(minutes=5), "5 min"),
        (timedelta(hours=1, minutes=5), "1 h 05 min"),
        (timedelta(seconds=-3), "0 s"),
    ],
)
def test_durations_in_words(delta, words):
    assert scoring.duration_words(delta) == words
