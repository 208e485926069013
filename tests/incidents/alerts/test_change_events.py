"""PagerDuty Change Events at POST /v2/change/enqueue: what pdpyras sends and gets back,
what is kept, and where a change shows: the incident page's "Recent changes" and
GET /api/v1/change-events/."""

import json
from datetime import UTC, datetime, timedelta

import pdpyras
import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from incidents import services
from incidents.alerts.models import AlertEvent, ChangeEvent
from incidents.alerts.parsers.change_events import ChangeEventData
from incidents.alerts.parsers.events import MAX_EVENT_BYTES
from incidents.alerts.services.changes import change_event_record
from incidents.alerts.web import sections as alert_sections
from incidents.models import Incident, Severity
from incidents.web.sections import unregister_section
from tests.incidents.factories import ServiceFactory

pytestmark = pytest.mark.django_db

URL = "/v2/change/enqueue"


def post_change(body):
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    return Client().post(URL, data=data, content_type="application/json")


def iso(moment):
    return moment.isoformat().replace("+00:00", "Z")


@pytest.fixture
def checkout(team):
    return ServiceFactory(team=team, name="Checkout", slug="checkout")


@pytest.fixture
def recent_changes():
    """The section as config.apps registers it at start-up."""
    alert_sections.register()
    yield
    unregister_section(page="incident_detail", name=alert_sections.NAME)


@pytest.mark.django_db(transaction=True)
def test_pdpyras_change_events_are_recorded_for_the_service(live_server, make_integration, team):
    service = ServiceFactory(team=team, name="Checkout", slug="checkout")
    _, key = make_integration(service=service)
    session = pdpyras.ChangeEventsAPISession(key)
    session.url = live_server.url  # the only change a PagerDuty script needs

    when = timezone.now() - timedelta(minutes=5)
    session.send_change_event(
        routing_key=key,
        payload={
            "summary": "Deployed checkout v42",
            "timestamp": iso(when),
            "source": "github-actions",
            "custom_details": {"sha": "abc123", "author": "marco"},
        },
        links=[{"href": "https://github.example/checkout/pull/42", "text": "PR 42"}],
    )
    session.submit("Feature flag new-cart on", source="flagd")  # pdpyras's own timestamp
    session.close()  # its kept-alive connection ends now, while the test's database is up

    first, second = ChangeEvent.objects.order_by("id")
    assert (first.summary, first.source, first.service, first.timestamp) == (
        "Deployed checkout v42",
        "github-actions",
        service,
        when,
    )
    assert first.custom_details == {"sha": "abc123", "author": "marco"}
    assert first.links == [{"href": "https://github.example/checkout/pull/42", "text": "PR 42"}]
    assert (second.summary, second.source, second.service) == (
        "Feature flag new-cart on",
        "flagd",
        service,
    )
    assert abs(second.timestamp - timezone.now()) < timedelta(minutes=1)
    # A change opens nothing.
    assert not Incident.objects.exists() and not AlertEvent.objects.exists()


def test_change_event_answers_as_pagerduty_does(make_integration):
    _, key = make_integration()
    response = post_change({"routing_key": key, "payload": {"summary": "Deployed v1"}})
    assert response.status_code == 202
    assert response.json() == {"status": "success", "message": "Change event processed"}
    change = ChangeEvent.objects.get()
    assert change.service is None and change.timestamp == change.received_at
    # The trailing slash some clients append works too.
    again = Client().post(
        f"{URL}/",
        data=json.dumps({"routing_key": key, "payload": {"summary": "Deployed v2"}}),
        content_type="application/json",
    )
    assert again.status_code == 202
    assert ChangeEvent.objects.count() == 2


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({}, "'payload' is missing"),
        ({"payload": []}, "'payload' is missing"),
        ({"payload": {}}, "'payload.summary' is missing or blank."),
        ({"payload": {"summary": "  "}}, "'payload.summary' is missing or blank."),
        ({"payload": {"summary": 3}}, "'payload.summary' is missing or blank."),
        ({"payload": {"summary": "x" * 1025}}, "'payload.summary' must be at most 1024"),
        ({"payload": {"summary": "x", "source": 1}}, "'payload.source' must be a string."),
        ({"payload": {"summary": "x", "source": "s" * 256}}, "'payload.source' must be at most"),
        ({"payload": {"summary": "x", "timestamp": "yesterday"}}, "'payload.timestamp' must be"),
        (
            {"payload": {"summary": "x", "timestamp": "2026-03-02T10:00:00"}},
            "'payload.timestamp' must be an ISO 8601 date-time with a zone.",
        ),
        ({"payload": {"summary": "x", "timestamp": 5}}, "'payload.timestamp' must be"),
        ({"payload": {"summary": "x", "custom_details": "x"}}, "'payload.custom_details' must"),
        ({"payload": {"summary": "x"}, "links": {}}, "'links' must be a list."),
        ({"payload": {"summary": "x"}, "links": [{"text": "a"}]}, "'links[0]' must be an object"),
        ({"payload": {"summary": "x"}, "links": [{"href": "h", "text": 1}]}, "'links[0].text'"),
    ],
)
def test_invalid_change_events_are_refused_and_nothing_is_stored(make_integration, body, error):
    _, key = make_integration()
    response = post_change({"routing_key": key, **body})
    assert response.status_code == 400
    answer = response.json()
    assert (answer["status"], answer["message"]) == ("invalid event", "Event object is invalid")
    assert any(error in e for e in answer["errors"]), answer
    assert not ChangeEvent.objects.exists()


@pytest.mark.parametrize(
    ("body", "code", "message"),
    [
        ([1], 400, "Event object is invalid"),
        ({"payload": {"summary": "x"}}, 400, "Event object is invalid"),
        ({"routing_key": "unknown", "payload": {"summary": "x"}}, 400, "Unknown routing key"),
        (b"{oops", 400, "Event object is invalid"),
        (b'{"routing_key": "k", "payload": {"summary": "x", "n": Infinity}}', 400, None),
        ('{"routing_key": "k", "payload": {"summary": "a\\u0000"}}', 400, None),
    ],
)
def test_bad_change_event_bodies_are_a_4xx_in_pagerduty_shape(
    make_integration, body, code, message
):
    make_integration()
    response = post_change(body)
    assert response.status_code == code
    assert response.json()["status"] == "invalid event"
    if message:
        assert response.json()["message"] == message
    assert not ChangeEvent.objects.exists()


def test_change_events_larger_than_512_kb_are_refused(make_integration):
    _, key = make_integration()
    body = {
        "routing_key": key,
        "payload": {"summary": "x", "custom_details": {"b": "x" * MAX_EVENT_BYTES}},
    }
    response = post_change(body)
    assert response.status_code == 413
    assert not ChangeEvent.objects.exists()


def test_change_events_count_against_the_rate_limit(make_integration):
    _, key = make_integration(rate_limit_per_minute=1)
    body = {"routing_key": key, "payload": {"summary": "x"}}
    with time_machine.travel(datetime(2026, 3, 2, 10, 15, 40, tzinfo=UTC), tick=False):
        first, second = post_change(body), post_change(body)
    assert (first.status_code, second.status_code) == (202, 429)
    assert second.json()["status"] == "throttle event"
    assert second["Retry-After"] == "20"
    assert ChangeEvent.objects.count() == 1


def _declare(team, member, services_):
    return services.incident_create(
        actor=member,
        team=team,
        title="Checkout errors",
        severity=Severity.objects.get(name="SEV2"),
        services=services_,
    )


def _change(integration, summary, at, **extra):
    _, key = integration
    return change_event_record(
        routing_key=key, change=ChangeEventData(summary=summary, timestamp=at, **extra)
    )


@pytest.fixture
def world(make_integration, team, member, other_team, checkout):
    """An incident on Checkout, and changes before, during, long before and elsewhere."""
    search = ServiceFactory(team=team, name="Search", slug="search")
    to_checkout = make_integration(name="Deploys", service=checkout)
    to_search = make_integration(name="Search deploys", service=search)
    incident = _declare(team, member, [checkout])
    declared = incident.triggered_at
    _change(to_checkout, "Deployed checkout v41", declared - timedelta(hours=5))  # too early
    _change(
        to_checkout,
        "Deployed checkout v42",
        declared - timedelta(hours=3),
        source="github-actions",
        links=[
            {"href": "https://github.example/pull/42", "text": "PR 42"},
            {"href": "javascript:alert(1)", "text": "evil"},
        ],
    )
    _change(to_checkout, "Rolled back checkout to v41", declared + timedelta(minutes=5))
    _change(to_checkout, "Scheduled for tomorrow", timezone.now() + timedelta(days=1))
    _change(to_search, "Reindexed search", declared - timedelta(minutes=30))  # other service
    # Looked at ten minutes after it was declared.
    with time_machine.travel(declared + timedelta(minutes=10)):
        yield {
            "incident": incident,
            "checkout": checkout,
            "search": search,
            "to_checkout": to_checkout,
        }


def test_incident_page_lists_recent_changes_to_its_services(client, member, world, recent_changes):
    client.force_login(member)
    response = client.get(f"/incidents/{world['incident'].pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="recent-changes"' in html
    shown = [
        summary
        for summary in (
            "Rolled back checkout to v41",
            "Deployed checkout v42",
            "Deployed checkout v41",
            "Scheduled for tomorrow",
            "Reindexed search",
        )
        if summary in html
    ]
    assert shown == ["Rolled back checkout to v41", "Deployed checkout v42"]
    assert html.index("Rolled back checkout to v41") < html.index("Deployed checkout v42")
    assert 'href="https://github.example/pull/42"' in html
    assert "javascript:" not in html


def test_incident_page_says_when_there_were_no_changes(
    client, member, team, severities, recent_changes
):
    incident = _declare(team, member, [])
    client.force_login(member)
    html = client.get(f"/incidents/{incident.pk}/").content.decode()
    assert "No changes were reported for this incident" in html


def test_recent_changes_section_queries_do_not_grow_with_changes(
    client, member, world, recent_changes
):
    client.force_login(member)
    url = f"/incidents/{world['incident'].pk}/"
    client.get(url)
    with CaptureQueriesContext(connection) as before:
        client.get(url)
    for index in range(5):
        _change(world["to_checkout"], f"Deploy {index}", world["incident"].triggered_at)
    with CaptureQueriesContext(connection) as after:
        assert client.get(url).content.decode().count("Deploy ") == 5
    assert len(after) == len(before), [q["sql"] for q in after.captured_queries]


def test_change_events_api_lists_an_incidents_changes(api, member, world):
    body = api.as_user(member).get(f"/api/v1/change-events/?incident={world['incident'].pk}").json()
    assert [c["summary"] for c in body["results"]] == [
        "Rolled back checkout to v41",
        "Deployed checkout v42",
    ]
    first = body["results"][1]
    assert (first["service_name"], first["source"], first["integration_name"]) == (
        "Checkout",
        "github-actions",
        "Deploys",
    )
    assert body["count"] == 2


def test_change_events_api_filters_by_service_and_scopes_by_team(api, member, outsider, world):
    by_service = api.as_user(member).get(f"/api/v1/change-events/?service={world['search'].pk}")
    assert [c["summary"] for c in by_service.json()["results"]] == ["Reindexed search"]
    everything = api.as_user(member).get("/api/v1/change-events/").json()
    assert everything["count"] == 5
    assert api.as_user(outsider).get("/api/v1/change-events/").json()["count"] == 0
    hidden = api.as_user(outsider).get(f"/api/v1/change-events/?incident={world['incident'].pk}")
    assert hidden.status_code == 404


@pytest.mark.parametrize(
    "query", ["incident=abc", "incident=99999999999999999999", "service=x", "service=²"]
)
def test_change_events_api_refuses_bad_filters(api, member, world, query):
    response = api.as_user(member).get(f"/api/v1/change-events/?{query}")
    assert response.status_code in (400, 404)
    assert "detail" in response.json()


def test_change_events_api_queries_do_not_grow_with_rows(api, member, world):
    client = api.as_user(member)
    with CaptureQueriesContext(connection) as before:
        client.get("/api/v1/change-events/")
    for index in range(5):
        _change(world["to_checkout"], f"Deploy {index}", timezone.now())
    with CaptureQueriesContext(connection) as after:
        assert client.get("/api/v1/change-events/").json()["count"] == 10
    assert len(after) == len(before)
