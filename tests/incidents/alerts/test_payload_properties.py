"""Property-based tests of every inbound payload format (hypothesis).

Two promises, checked over arbitrary input rather than hand-picked cases:

* each parser, given any JSON value (NaN, infinities, lone surrogates, deep nesting, wrong
  types at every key it reads), either returns an event whose fields fit their columns or
  raises its own "invalid" error — never anything else;
* each ingestion endpoint, given any body (any JSON text, including what strict JSON
  refuses, and bytes that are not JSON at all), answers below 500, and a refusal stores
  nothing.
"""

import json
import string
from datetime import UTC, datetime

import pytest
from django.test import Client, TestCase
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from incidents.alerts.models import Alert, AlertEvent
from incidents.alerts.parsers import alertmanager, change_events, events_v1, events_v2, opsgenie
from incidents.alerts.parsers.events import ACTIONS, MAX_DEDUP_KEY, NormalizedEvent
from incidents.alerts.parsers.webhook import parse_webhook
from incidents.models import Incident

# Any character, surrogates (category Cs) and NUL included: strict JSON decoding refuses lone
# surrogates at the door, but a parser must not depend on that.
ANY_TEXT = st.one_of(
    st.text(alphabet=st.characters(blacklist_categories=()), max_size=40),
    st.text(alphabet=st.characters(blacklist_categories=()), min_size=1030, max_size=1100),
)
KEYS = st.one_of(ANY_TEXT, st.sampled_from(["", " ", "summary", "labels", "payload", "\x00"]))
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    ANY_TEXT,
)
JSON_VALUES = st.recursive(
    SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(KEYS, children, max_size=4)
    ),
    max_leaves=20,
)


def _mostly(good, other, *, one_in: int = 10):
    """``good`` most of the time, ``other`` once in ``one_in`` draws."""
    return st.integers(min_value=1, max_value=one_in).flatmap(
        lambda roll: other if roll == 1 else good
    )


def _maybe(value_strategy):
    """A key mostly of the right shape (so whole documents often pass every check and reach
    the limits and the mapping), sometimes absent, sometimes anything at all."""
    return _mostly(value_strategy, st.one_of(st.just(_ABSENT), JSON_VALUES), one_in=12)


_ABSENT = object()


def _document(**fields):
    """Objects shaped like a format, each field absent, plausible or arbitrary."""
    return st.fixed_dictionaries({name: _maybe(strategy) for name, strategy in fields.items()}).map(
        lambda d: {k: v for k, v in d.items() if v is not _ABSENT}
    )


# Mostly short words, sometimes text past every length limit (255, 1024, Opsgenie's 130).
WORDS = st.one_of(
    st.text(alphabet=string.ascii_letters + string.digits + " -_:", max_size=30),
    st.text(alphabet="ab ", min_size=1000, max_size=1100),
)
TIMESTAMPS = _mostly(
    st.datetimes(
        min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
    ).map(lambda moment: moment.isoformat()),
    st.one_of(
        st.sampled_from(
            ["2026-12-04T10:00:00+25:00", "0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z"]
        ),
        WORDS,
    ),
)
V2_PAYLOAD = _document(
    summary=WORDS,
    source=WORDS,
    severity=_mostly(
        st.sampled_from(["critical", "error", "warning", "info"]), st.sampled_from(["CRITICAL", ""])
    ),
    timestamp=TIMESTAMPS,
    custom_details=st.dictionaries(WORDS, JSON_VALUES, max_size=3),
    component=WORDS,
    group=WORDS,
    **{"class": WORDS},
)
V2_EVENTS = _document(
    routing_key=WORDS,
    event_action=_mostly(
        st.sampled_from(["trigger", "trigger", "acknowledge", "resolve"]), st.just("explode")
    ),
    dedup_key=st.one_of(WORDS, st.text(min_size=250, max_size=300)),
    payload=V2_PAYLOAD,
    client=WORDS,
    client_url=WORDS,
    links=st.lists(_document(href=WORDS, text=WORDS), max_size=2),
    images=st.lists(_document(src=WORDS, href=WORDS, alt=WORDS), max_size=2),
)
V1_EVENTS = _document(
    service_key=WORDS,
    event_type=st.sampled_from(["trigger", "acknowledge", "resolve", "explode"]),
    incident_key=WORDS,
    description=WORDS,
    details=st.dictionaries(WORDS, JSON_VALUES, max_size=3),
    client=WORDS,
    client_url=WORDS,
    contexts=st.lists(_document(type=st.sampled_from(["link", "image"]), href=WORDS, src=WORDS)),
)
AM_ALERTS = _document(
    status=st.sampled_from(["firing", "resolved"]),
    labels=st.dictionaries(WORDS, WORDS, max_size=3),
    annotations=st.dictionaries(WORDS, WORDS, max_size=3),
    startsAt=TIMESTAMPS,
    endsAt=TIMESTAMPS,
    fingerprint=WORDS,
)
AM_NOTIFICATIONS = _document(
    version=st.just("4"),
    groupKey=WORDS,
    status=st.sampled_from(["firing", "resolved", "other"]),
    receiver=WORDS,
    groupLabels=st.dictionaries(WORDS, WORDS, max_size=3),
    commonLabels=st.dictionaries(WORDS, WORDS, max_size=3),
    commonAnnotations=st.dictionaries(WORDS, WORDS, max_size=3),
    alerts=st.lists(AM_ALERTS, max_size=3),
)
CHANGE_EVENTS = _document(
    routing_key=WORDS,
    payload=_document(
        summary=WORDS,
        source=WORDS,
        timestamp=TIMESTAMPS,
        custom_details=st.dictionaries(WORDS, JSON_VALUES, max_size=3),
    ),
    links=st.lists(_document(href=WORDS, text=WORDS), max_size=2),
)
OPSGENIE_CREATES = _document(
    message=WORDS,
    alias=WORDS,
    description=WORDS,
    priority=st.sampled_from(["P1", "P2", "P3", "P4", "P5", "P9", "p1"]),
    tags=st.lists(WORDS, max_size=3),
    details=st.dictionaries(WORDS, WORDS, max_size=3),
    source=WORDS,
    entity=WORDS,
    note=WORDS,
    user=WORDS,
)
OPSGENIE_ACTIONS = _document(user=WORDS, source=WORDS, note=WORDS)

PROPERTY_SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


def assert_fits_its_columns(event: NormalizedEvent) -> None:
    assert isinstance(event, NormalizedEvent)
    assert event.action in ACTIONS
    assert isinstance(event.dedup_key, str) and event.dedup_key.strip()
    assert len(event.dedup_key) <= MAX_DEDUP_KEY
    assert isinstance(event.payload, dict)
    assert isinstance(event.summary, str) and len(event.summary) <= 1024
    assert isinstance(event.name, str) and len(event.name) <= 255
    assert isinstance(event.severity, str) and len(event.severity) <= 50
    assert isinstance(event.labels, dict) and isinstance(event.details, dict)


@PROPERTY_SETTINGS
@given(st.one_of(V2_EVENTS, JSON_VALUES))
def test_events_v2_parser_returns_a_fitting_event_or_its_own_error(body):
    try:
        events_v2.routing_key_of(body)
        event = events_v2.parse_event(body)
    except events_v2.InvalidEvent as error:
        assert error.errors and all(isinstance(e, str) and e for e in error.errors)
        return
    assert_fits_its_columns(event)
    if event.action == "trigger":
        # PagerDuty's documented limits are refused, not truncated.
        assert len(body["payload"]["summary"]) <= 1024
        assert len(body["payload"]["source"]) <= 255


@PROPERTY_SETTINGS
@given(st.one_of(V1_EVENTS, JSON_VALUES))
def test_events_v1_parser_returns_a_fitting_event_or_its_own_error(body):
    try:
        events_v1.service_key_of(body)
        event = events_v1.parse_event(body)
    except events_v2.InvalidEvent as error:
        assert error.errors
        return
    assert_fits_its_columns(event)


@PROPERTY_SETTINGS
@given(st.one_of(AM_NOTIFICATIONS, JSON_VALUES))
def test_alertmanager_parser_returns_a_fitting_event_or_its_own_error(body):
    try:
        event = alertmanager.parse_notification(body)
    except alertmanager.InvalidPayload as error:
        assert error.errors
        return
    assert_fits_its_columns(event)


@PROPERTY_SETTINGS
@given(st.one_of(CHANGE_EVENTS, JSON_VALUES.filter(lambda v: isinstance(v, dict))))
def test_change_event_parser_returns_bounded_data_or_its_own_error(body):
    try:
        change = change_events.parse_change_event(body)
    except events_v2.InvalidEvent as error:
        assert error.errors
        return
    assert change.summary.strip() and len(change.summary) <= 1024
    assert len(change.source) <= 255
    assert isinstance(change.custom_details, dict) and isinstance(change.links, list)


@PROPERTY_SETTINGS
@given(st.one_of(OPSGENIE_CREATES, JSON_VALUES))
def test_opsgenie_create_parser_returns_a_fitting_event_or_its_own_error(body):
    try:
        event = opsgenie.parse_create(body)
    except opsgenie.InvalidRequest as error:
        assert error.errors
        return
    assert_fits_its_columns(event)


@PROPERTY_SETTINGS
@given(st.one_of(OPSGENIE_ACTIONS, JSON_VALUES))
def test_opsgenie_action_parser_returns_strings_or_its_own_error(body):
    try:
        fields = opsgenie.parse_action(body)
    except opsgenie.InvalidRequest as error:
        assert error.errors
        return
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in fields.items())


JSON_PATHS = st.one_of(
    st.sampled_from(["title", "alert.title"]),
    st.sampled_from(["", "alert", "a.b.c", ".", "..", "0", "items.0"]),
    WORDS,
)
# Bodies that have something at the paths above, so the values get read, not just missed.
WEBHOOK_BODIES = st.one_of(
    st.builds(
        lambda title, nested, rest: {**rest, "title": title, "alert": {"title": nested}},
        st.one_of(WORDS, JSON_VALUES),
        st.one_of(WORDS, JSON_VALUES),
        st.dictionaries(KEYS, JSON_VALUES, max_size=3),
    ),
    JSON_VALUES,
)


@PROPERTY_SETTINGS
@given(WEBHOOK_BODIES, JSON_PATHS, JSON_PATHS, JSON_PATHS, JSON_PATHS, WORDS)
def test_webhook_parser_always_returns_a_fitting_event(
    body, title_path, key_path, severity_path, resolve_path, resolve_value
):
    event = parse_webhook(
        body,
        title_path=title_path,
        dedup_key_path=key_path,
        severity_path=severity_path,
        resolve_path=resolve_path,
        resolve_value=resolve_value,
        fallback_title="Alert from a webhook",
    )
    assert_fits_its_columns(event)


def test_deep_nesting_is_refused_or_parsed_not_crashed():
    """Ten thousand nested arrays: Python's JSON decoder would hit the recursion limit."""
    deep = "[" * 10_000 + "]" * 10_000
    response = Client().post("/v2/enqueue", data=deep, content_type="application/json")
    assert response.status_code == 400


# Bodies as text: JSON of any value (with hazards strict JSON must refuse spliced in),
# and bytes that are not UTF-8 or not JSON at all.
HAZARDS = st.sampled_from(
    ["NaN", "Infinity", "-Infinity", "1e999", '"\\ud800"', '"\\u0000"', "[" * 600 + "]" * 600]
)


def _json_text(value) -> str:
    return json.dumps(value, allow_nan=True)


def _spliced(document: dict, hazard: str) -> str:
    """The document with one of its values replaced by raw hazard text."""
    marker = "__hazard__"
    text = json.dumps({**document, "extra": marker}, allow_nan=True)
    return text.replace(f'"{marker}"', hazard)


BODIES = st.one_of(
    JSON_VALUES.map(_json_text),
    st.builds(_spliced, st.dictionaries(WORDS, JSON_VALUES, max_size=3), HAZARDS),
    st.binary(max_size=64),
)


@pytest.fixture
def keys(make_integration):
    """One integration of each kind, and their routing keys."""
    _, v2_key = make_integration(kind="events_v2", name="Events")
    _, am_key = make_integration(kind="alertmanager", name="Alertmanager")
    _, hook_key = make_integration(kind="webhook", name="Webhook")
    return {"events": v2_key, "alertmanager": am_key, "webhook": hook_key}


def _endpoints(keys: dict[str, str]) -> list[tuple[str, dict[str, str]]]:
    genie = {"HTTP_AUTHORIZATION": f"GenieKey {keys['events']}"}
    return [
        ("/v2/enqueue", {}),
        ("/v2/change/enqueue", {}),
        ("/generic/2010-04-15/create_event.json", {}),
        ("/v2/alerts", genie),
        ("/v2/alerts/some-alias/acknowledge?identifierType=alias", genie),
        ("/v2/alerts/some-alias/close?identifierType=alias", genie),
        ("/v2/alerts/some-alias/notes?identifierType=alias", genie),
        (f"/api/v1/integrations/{keys['alertmanager']}/alertmanager/", {}),
        (f"/api/v1/integrations/{keys['webhook']}/webhook/", {}),
    ]


@pytest.mark.django_db
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(body=BODIES, event_keyed=st.booleans())
def test_ingestion_endpoints_answer_below_500_to_any_body(keys, body, event_keyed):
    """Any body, at every inbound endpoint: a 2xx or a 4xx, and a 4xx stores nothing."""
    if event_keyed and isinstance(body, str) and body.startswith("{"):
        # Give the keyed Events API formats a real key, so the body gets past the key check
        # and into the parser.
        body = body.replace("{", json.dumps({"routing_key": keys["events"]})[:-1] + ", ", 1)
        body = body.replace(", }", "}")
    client = Client()
    for path, headers in _endpoints(keys):
        before = (AlertEvent.objects.count(), Alert.objects.count(), Incident.objects.count())
        with TestCase.captureOnCommitCallbacks(execute=True):
            response = client.post(path, data=body, content_type="application/json", **headers)
        assert response.status_code < 500, (path, body, response.content[:300])
        if response.status_code >= 400:
            after = (AlertEvent.objects.count(), Alert.objects.count(), Incident.objects.count())
            assert after == before, (path, body)
