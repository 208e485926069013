"""The blameless check is a pure module: no database."""

import pytest

from postmortems.blameless import check

NAMES = ["marco", "Marco", "Rossi", "Marco Rossi", "priya"]


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("The outage was caused by human error during the deploy.", "human_error"),
        ("Operator error on the load balancer.", "human_error"),
        ("Sam forgot to run the migration.", "forgot"),
        ("It was Dave's fault that the cache was flushed.", "fault"),
        ("The reviewer should have caught the typo.", "should_have"),
        ("A careless change to the firewall.", "careless"),
        ("Nobody didn't bother to check the dashboard.", "didnt_bother"),
        ("Gross negligence in handling the keys.", "negligence"),
        ("We blame the release manager.", "blame"),
        ("A mistake by Tom took the site down.", "mistake_by"),
    ],
)
def test_flags_each_seed_phrase_with_a_suggestion(text, rule):
    warnings = check({"summary": text}, names=NAMES)
    assert [w.rule for w in warnings] == [rule]
    warning = warnings[0]
    assert warning.field == "summary"
    assert warning.match.lower() in text.lower()
    assert warning.match in warning.excerpt
    assert warning.suggestion


def test_flags_names_and_handles_in_root_cause_and_whys_only():
    warnings = check(
        {
            "root_cause": "Marco Rossi pushed the config; @sam approved it.",
            "whys[0].answer": "Because priya restarted the primary.",
            "timeline": "marco acknowledged the page.",  # naming people here is fine
        },
        names=NAMES,
    )
    found = [(w.field, w.rule, w.match) for w in warnings]
    assert found == [
        ("root_cause", "name", "Marco Rossi"),
        ("root_cause", "handle", "@sam"),
        ("whys[0].answer", "name", "priya"),
    ]


def test_names_match_whole_words_only():
    assert check({"root_cause": "The marcopolo service timed out."}, names=["marco"]) == []
    assert check({"root_cause": "Email sam@example.com bounced."}, names=[]) == []


def test_a_system_focused_text_passes():
    fields = {
        "summary": "Checkout returned errors for 40 minutes after a config deploy.",
        "root_cause": (
            "The deploy pipeline applied a connection-pool limit of 5 to production without "
            "a canary stage, and no validation rejects limits below the service's minimum."
        ),
        "whys[0].question": "Why did checkout fail?",
        "whys[0].answer": "The database connection pool was exhausted.",
        "whys[1].question": "Why did the change reach production unchecked?",
        "whys[1].answer": "The config repository has no schema check or required review.",
        "what_went_wrong": "Alerting on pool saturation fired 12 minutes after impact began.",
    }
    assert check(fields, names=NAMES) == []


def test_excerpt_is_short_and_warnings_follow_text_order():
    long = "x " * 100 + "then someone forgot the flag and it was careless " + "y " * 100
    warnings = check({"what_went_wrong": long}, names=[])
    assert [w.rule for w in warnings] == ["forgot", "careless"]
    assert len(warnings[0].excerpt) < 130
    assert warnings[0].excerpt.startswith("…") and warnings[0].excerpt.endswith("…")


def test_long_unbroken_text_is_scanned_without_backtracking_blowup():
    # 50,000 characters (the API's limit) of one "word": every position could start a
    # match of "X forgot"; the bounded pattern keeps the scan linear.
    text = "a." * 25_000
    assert check({"root_cause": text, "summary": text}, names=NAMES) == []
