"""The public status page (HTML, JSON, Atom): derived states, and nothing private."""

from datetime import UTC, datetime, timedelta
from xml.etree import ElementTree

import pytest
import time_machine

from incidents import services
from incidents.communication.services.updates import incident_communication_set, status_update_post
from incidents.models import MaintenanceWindow, Severity
from tests.incidents.factories import ServiceFactory
from tests.oncall.factories import TeamFactory, TeamMembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


ATOM = "{http://www.w3.org/2005/Atom}"


SECRETS = [
    "Secret breach investigation",  # private incident title
    "INTERNAL-ONLY: suspect the Visa BIN table",  # internal update
    "Private private private",  # public update of a private incident
    "Internal admin console",  # non-public service
    "Payments",  # team name
    "PAY-",  # incident references carry the team key
    "marco",  # people
    "priya",
    "Hidden Team",
    "hidden-svc",
]


@pytest.fixture
def world(team, member, manager):
    """A public service with a public incident, plus everything that must stay hidden."""
    checkout = ServiceFactory(team=team, name="Checkout", slug="checkout", public=True)
    search = ServiceFactory(team=team, name="Search", slug="search", public=True)
    internal = ServiceFactory(team=team, name="Internal admin console", slug="admin")
    hidden_team = TeamFactory(name="Hidden Team", key="HID", slug="hidden")
    hidden_user = UserFactory(username="hidden-person")
    TeamMembershipFactory(team=hidden_team, user=hidden_user)
    hidden_svc = ServiceFactory(team=hidden_team, name="hidden-svc", slug="hidden-svc")
    with time_machine.travel(T0, tick=False):
        public = services.incident_create(
            actor=member,
            team=team,
            title="Checkout errors",
            severity=Severity.objects.get(name="SEV2"),
            commander=member,
            services=[checkout, internal],
        )
        status_update_post(
            incident=public,
            actor=member,
            message="We are investigating failed checkouts.",
            audience="public",
        )
        status_update_post(
            incident=public,
            actor=member,
            message="INTERNAL-ONLY: suspect the Visa BIN table",
            audience="internal",
        )
        private = services.incident_create(
            actor=manager,
            team=team,
            title="Secret breach investigation",
            severity=Severity.objects.get(name="SEV1"),
            commander=manager,
            services=[search],
            private=True,
        )
        status_update_post(
            incident=private, actor=manager, message="Private private private", audience="public"
        )
        services.incident_create(
            actor=hidden_user,
            team=hidden_team,
            title="Hidden Team outage",
            severity=Severity.objects.get(name="SEV1"),
            services=[hidden_svc],
        )
    return {"public": public, "private": private, "checkout": checkout, "search": search}


def assert_nothing_private(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text, secret


def test_json_shows_public_services_incidents_and_updates_only(api, world):
    with time_machine.travel(T0 + timedelta(minutes=10), tick=False):
        response = api.get("/api/v1/status/")
    assert response.status_code == 200
    body = response.json()
    assert body["overall"] == "partial_outage"
    assert [(s["name"], s["state"]) for s in body["services"]] == [
        ("Checkout", "partial_outage"),
        ("Search", "operational"),  # its only incident is private
    ]
    [incident] = body["incidents"]
    assert incident["title"] == "Checkout errors"
    assert incident["services"] == ["Checkout"]
    assert [u["message"] for u in incident["updates"]] == ["We are investigating failed checkouts."]
    assert set(incident["updates"][0]) == {"id", "message", "status", "created_at"}
    # Opaque ids: database ids are global sequences that would leak other teams' counts.
    assert len(incident["id"]) == 16 and incident["id"] != str(world["public"].pk)
    assert body["history"][0]["date"] == "2026-03-02"
    assert [i["title"] for i in body["history"][0]["incidents"]] == ["Checkout errors"]
    assert len(body["history"]) == 14
    assert_nothing_private(response.content.decode())


def test_html_page_needs_no_login_and_shows_nothing_private(client, world):
    with time_machine.travel(T0 + timedelta(minutes=10), tick=False):
        response = client.get("/status/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Checkout errors" in html
    assert "We are investigating failed checkouts." in html
    assert "Partial outage" in html
    assert_nothing_private(html)


def test_atom_feed_carries_public_updates_only(client, world):
    with time_machine.travel(T0 + timedelta(minutes=10), tick=False):
        response = client.get("/status/feed.atom")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    xml = response.content.decode()
    feed = ElementTree.fromstring(response.content)  # noqa: S314 - our own response
    entries = feed.findall(f"{ATOM}entry")
    assert [e.findtext(f"{ATOM}title") for e in entries] == ["Checkout errors (triggered)"]
    assert "We are investigating failed checkouts." in entries[0].findtext(f"{ATOM}summary")
    assert_nothing_private(xml)


def test_a_private_incident_made_public_later_appears_and_vice_versa(api, world, manager, member):
    services.incident_update(incident=world["private"], actor=manager, private=False)
    services.incident_update(incident=world["public"], actor=member, private=True)
    body = api.get("/api/v1/status/").json()
    assert [i["title"] for i in body["incidents"]] == ["Secret breach investigation"]
    assert "Checkout errors" not in api.get("/api/v1/status/").content.decode()


@pytest.mark.parametrize(
    ("severity", "state"),
    [
        ("SEV1", "major_outage"),
        ("SEV2", "partial_outage"),
        ("SEV3", "degraded_performance"),
        ("SEV4", "operational"),
    ],
)
def test_service_state_is_derived_from_the_worst_open_incident(api, team, member, severity, state):
    service = ServiceFactory(team=team, name="API", slug="api", public=True)
    services.incident_create(
        actor=member,
        team=team,
        title="Minor",
        severity=Severity.objects.get(name="SEV4"),
        services=[service],
    )
    services.incident_create(
        actor=member,
        team=team,
        title="Main",
        severity=Severity.objects.get(name=severity),
        services=[service],
    )
    [row] = api.get("/api/v1/status/").json()["services"]
    assert row["state"] == state


def test_resolving_restores_operational_and_override_wins(api, team, member):
    service = ServiceFactory(team=team, name="API", slug="api", public=True)
    incident = services.incident_create(
        actor=member,
        team=team,
        title="API slow",
        severity=Severity.objects.get(name="SEV1"),
        services=[service],
    )
    incident_communication_set(
        incident=incident,
        actor=member,
        status_page_state="degraded_performance",
        public_title="Slower responses",
    )
    body = api.get("/api/v1/status/").json()
    assert body["services"][0]["state"] == "degraded_performance"
    assert body["incidents"][0]["title"] == "Slower responses"
    assert incident.timeline.filter(kind="status_page_state").exists()
    services.incident_resolve(incident=incident, actor=member)
    body = api.get("/api/v1/status/").json()
    assert body["services"][0]["state"] == "operational"
    assert body["incidents"] == []
    assert body["history"][0]["incidents"][0]["status"] == "resolved"


def test_maintenance_window_shows_the_service_under_maintenance(api, team):
    db = ServiceFactory(team=team, name="Database", slug="db", public=True)
    hidden = ServiceFactory(team=team, name="Internal admin console", slug="admin")
    window = MaintenanceWindow.objects.create(
        team=team,
        title="Database upgrade",
        starts_at=T0 + timedelta(hours=1),
        ends_at=T0 + timedelta(hours=2),
    )
    window.services.set([db, hidden])
    with time_machine.travel(T0, tick=False):
        body = api.get("/api/v1/status/").json()
    assert body["services"][0]["state"] == "operational"
    assert [(m["title"], m["in_progress"], m["services"]) for m in body["maintenance"]] == [
        ("Database upgrade", False, ["Database"])
    ]
    with time_machine.travel(T0 + timedelta(hours=1, minutes=5), tick=False):
        body = api.get("/api/v1/status/").json()
    assert body["services"][0]["state"] == "under_maintenance"
    assert body["maintenance"][0]["in_progress"] is True
    with time_machine.travel(T0 + timedelta(hours=2), tick=False):
        body = api.get("/api/v1/status/").json()
    assert body["services"][0]["state"] == "operational"
    assert body["maintenance"] == []


def test_history_keeps_fourteen_days(api, team, member):
    service = ServiceFactory(team=team, name="API", slug="api", public=True)
    for days_ago, title in [(20, "Old"), (13, "Recent")]:
        with time_machine.travel(T0 - timedelta(days=days_ago), tick=False):
            incident = services.incident_create(
                actor=member,
                team=team,
                title=title,
                severity=Severity.objects.get(name="SEV2"),
                services=[service],
            )
            services.incident_resolve(incident=incident, actor=member)
    with time_machine.travel(T0, tick=False):
        body = api.get("/api/v1/status/").json()
    titles = [i["title"] for day in body["history"] for i in day["incidents"]]
    assert titles == ["Recent"]


def test_status_page_queries_do_not_grow_with_incidents(
    api, client, team, member, django_assert_max_num_queries
):
    service = ServiceFactory(team=team, name="API", slug="api", public=True)

    def add(n):
        for i in range(n):
            incident = services.incident_create(
                actor=member,
                team=team,
                title=f"Incident {i}",
                severity=Severity.objects.get(name="SEV2"),
                services=[service],
            )
            status_update_post(incident=incident, actor=member, message="m", audience="public")

    add(2)
    with django_assert_max_num_queries(12):
        api.get("/api/v1/status/")
    add(15)
    with django_assert_max_num_queries(12):
        assert len(api.get("/api/v1/status/").json()["incidents"]) == 17
    with django_assert_max_num_queries(12):
        client.get("/status/")
    with django_assert_max_num_queries(12):
        client.get("/status/feed.atom")
