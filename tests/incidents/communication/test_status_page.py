"""The public status page (HTML, JSON, Atom): only published incidents (a public update
was shared), under their public title, derived states, and nothing private."""

from datetime import UTC, datetime, timedelta
from xml.etree import ElementTree

import pytest
import time_machine

from incidents import services
from incidents.communication.models import TeamCommunicationSettings
from incidents.communication.services.updates import incident_communication_set, status_update_post
from incidents.models import MaintenanceWindow, Severity
from tests.incidents.factories import ServiceFactory
from tests.oncall.factories import TeamFactory, TeamMembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


ATOM = "{http://www.w3.org/2005/Atom}"


SECRETS = [
    "Card processor returns 502",  # the internal title of the published incident
    "Unannounced search outage",  # an incident nobody published yet
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
    TeamCommunicationSettings.objects.create(team=team, stakeholder_emails="sales@example.com")
    with time_machine.travel(T0, tick=False):
        public = services.incident_create(
            actor=member,
            team=team,
            title="Card processor returns 502",
            severity=Severity.objects.get(name="SEV2"),
            commander=member,
            services=[checkout, internal],
        )
        incident_communication_set(incident=public, actor=member, public_title="Checkout errors")
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
        unannounced = services.incident_create(
            actor=member,
            team=team,
            title="Unannounced search outage",
            severity=Severity.objects.get(name="SEV1"),
            services=[search],
        )
        for audience in ("internal", "stakeholders"):
            status_update_post(
                incident=unannounced,
                actor=member,
                message=f"INTERNAL-ONLY: {audience} note",
                audience=audience,
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
    return {
        "public": public,
        "unannounced": unannounced,
        "private": private,
        "checkout": checkout,
        "search": search,
    }


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
        ("Search", "operational"),  # its incidents are private or not published
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
    assert [e.findtext(f"{ATOM}title") for e in entries] == ["Checkout errors (Investigating)"]
    assert "We are investigating failed checkouts." in entries[0].findtext(f"{ATOM}summary")
    assert_nothing_private(xml)


def test_a_private_incident_made_public_later_appears_and_vice_versa(api, world, manager, member):
    services.incident_update(incident=world["private"], actor=manager, private=False)
    services.incident_update(incident=world["public"], actor=member, private=True)
    body = api.get("/api/v1/status/").json()
    # It had a public update while private: now public, it shows, under a neutral title.
    assert [i["title"] for i in body["incidents"]] == ["Issue affecting Search"]
    assert "Checkout errors" not in api.get("/api/v1/status/").content.decode()
    assert "Secret breach investigation" not in api.get("/api/v1/status/").content.decode()


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
    for title, name in (("Minor", "SEV4"), ("Main", severity)):
        incident = services.incident_create(
            actor=member,
            team=team,
            title=title,
            severity=Severity.objects.get(name=name),
            services=[service],
        )
        status_update_post(incident=incident, actor=member, message="On it.", audience="public")
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
    status_update_post(incident=incident, actor=member, message="Looking.", audience="public")
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
            incident_communication_set(incident=incident, actor=member, public_title=title)
            status_update_post(incident=incident, actor=member, message="m", audience="public")
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


def _everywhere(api, client) -> dict[str, str]:
    return {
        "json": api.get("/api/v1/status/").content.decode(),
        "html": client.get("/status/").content.decode(),
        "feed": client.get("/status/feed.atom").content.decode(),
    }


def test_a_declared_incident_appears_only_once_a_public_update_is_shared(api, client, team, member):
    TeamCommunicationSettings.objects.create(team=team, stakeholder_emails="cs@example.com")
    service = ServiceFactory(team=team, name="API", slug="api", public=True)
    incident = services.incident_create(
        actor=member,
        team=team,
        title="Primary database on fire",
        severity=Severity.objects.get(name="SEV1"),
        services=[service],
    )
    status_update_post(incident=incident, actor=member, message="Paging DBAs.")
    status_update_post(
        incident=incident, actor=member, message="Heads-up.", audience="stakeholders"
    )
    body = api.get("/api/v1/status/").json()
    assert body["incidents"] == []
    assert [i for day in body["history"] for i in day["incidents"]] == []
    assert body["services"][0]["state"] == "operational"  # an unpublished incident says nothing
    for where, text in _everywhere(api, client).items():
        assert "Primary database on fire" not in text, where
        assert "Issue affecting" not in text, where
        assert "Paging DBAs." not in text and "Heads-up." not in text, where

    status_update_post(
        incident=incident, actor=member, message="Requests to the API fail.", audience="public"
    )
    body = api.get("/api/v1/status/").json()
    [row] = body["incidents"]
    assert (row["title"], row["state"]) == ("Issue affecting API", "major_outage")
    assert body["services"][0]["state"] == "major_outage"
    for where, text in _everywhere(api, client).items():
        assert "Issue affecting API" in text, where
        assert "Requests to the API fail." in text, where
        assert "Primary database on fire" not in text, where  # never the internal title

    incident_communication_set(incident=incident, actor=member, public_title="API errors")
    for where, text in _everywhere(api, client).items():
        assert "API errors" in text, where
        assert "Primary database on fire" not in text, where


def test_the_neutral_title_names_only_public_services(api, team, member):
    checkout = ServiceFactory(team=team, name="Checkout", slug="checkout", public=True)
    search = ServiceFactory(team=team, name="Search", slug="search", public=True)
    admin = ServiceFactory(team=team, name="Internal admin console", slug="admin")
    incident = services.incident_create(
        actor=member,
        team=team,
        title="Bad deploy",
        severity=Severity.objects.get(name="SEV2"),
        services=[search, admin, checkout],
    )
    status_update_post(incident=incident, actor=member, message="Looking.", audience="public")
    [row] = api.get("/api/v1/status/").json()["incidents"]
    assert row["title"] == "Issue affecting Checkout and Search"


@pytest.fixture
def auto_publishing(team):
    return TeamCommunicationSettings.objects.create(team=team, auto_publish=True)


def test_a_team_that_auto_publishes_announces_incidents_on_public_services(
    api, client, team, member, auto_publishing
):
    checkout = ServiceFactory(team=team, name="Checkout", slug="checkout", public=True)
    admin = ServiceFactory(team=team, name="Internal admin console", slug="admin")
    incident = services.incident_create(
        actor=member,
        team=team,
        title="Card processor returns 502",
        severity=Severity.objects.get(name="SEV2"),
        services=[checkout, admin],
    )
    [update] = incident.updates.all()
    assert (update.audience, update.author, update.message) == (
        "public",
        None,
        "Investigating an issue affecting Checkout.",
    )
    assert incident.timeline.filter(kind="status_update").count() == 1
    [row] = api.get("/api/v1/status/").json()["incidents"]
    assert row["title"] == "Issue affecting Checkout"
    for where, text in _everywhere(api, client).items():
        assert "Investigating an issue affecting Checkout." in text, where
        assert "Card processor returns 502" not in text, where
        assert "Internal admin console" not in text, where


@pytest.mark.parametrize("case", ["off", "private", "no public service"])
def test_auto_publish_stays_quiet_when_it_should(api, team, member, case):
    TeamCommunicationSettings.objects.create(team=team, auto_publish=case != "off")
    public = ServiceFactory(team=team, name="Checkout", slug="checkout", public=True)
    hidden = ServiceFactory(team=team, name="Internal admin console", slug="admin")
    incident = services.incident_create(
        actor=member,
        team=team,
        title="Something",
        severity=Severity.objects.get(name="SEV1"),
        services=[hidden] if case == "no public service" else [public],
        private=case == "private",
    )
    assert not incident.updates.exists()
    assert api.get("/api/v1/status/").json()["incidents"] == []


def test_auto_publish_is_a_team_setting_in_the_admin(client, staff, team):
    client.force_login(staff)
    response = client.post(
        "/admin/incidents/teamcommunicationsettings/add/",
        {
            "team": team.pk,
            "stakeholder_emails": "",
            "engineering_manager_emails": "",
            "auto_publish": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert TeamCommunicationSettings.objects.get(team=team).auto_publish is True
