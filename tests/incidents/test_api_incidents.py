"""The incidents API: every endpoint, its errors, team isolation and query counts."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from incidents.models import Incident, TimelineEvent
from tests.incidents.factories import IncidentFactory, ServiceFactory
from tests.oncall.factories import TeamMembershipFactory, UserFactory

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
URL = "/api/v1/incidents/"


def test_anonymous_requests_are_refused(api):
    response = api.get(URL)
    assert response.status_code == 401
    assert response.json()["detail"]


def test_a_client_drives_an_incident_through_its_whole_lifecycle(api, team, member, service):
    client = api.as_user(member)
    with time_machine.travel(T0, tick=False):
        created = client.post(
            URL,
            {
                "team": team.pk,
                "title": "Checkout down",
                "severity": "SEV1",
                "services": [service.pk],
                "commander": member.pk,
                "impact": "All card payments",
            },
        )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["reference"] == "PAY-1"
    assert body["status"] == "triggered"
    assert body["severity"] == "SEV1"
    assert body["commander"] == {"id": member.pk, "username": "marco"}
    assert body["services"] == [{"id": service.pk, "slug": "checkout-api", "name": "Checkout API"}]
    assert body["triggered_at"] == "2026-03-02T09:00:00Z"
    pk = body["id"]

    steps = [
        ("acknowledge/", {}, "acknowledged"),
        ("status/", {"status": "investigating", "message": "Looking at the PSP"}, "investigating"),
        ("status/", {"status": "identified", "message": "PSP certificate expired"}, "identified"),
        ("status/", {"status": "monitoring", "message": "Rotated the certificate"}, "monitoring"),
        ("resolve/", {"message": "Payments flowing", "resolution": "fixed"}, "resolved"),
    ]
    for minute, (path, payload, expected) in enumerate(steps, start=1):
        with time_machine.travel(T0 + timedelta(minutes=minute), tick=False):
            response = client.post(f"{URL}{pk}/{path}", payload)
        assert response.status_code == 200, response.json()
        assert response.json()["status"] == expected
    final = client.get(f"{URL}{pk}/").json()
    assert final["acknowledged_at"] == "2026-03-02T09:01:00Z"
    assert final["resolved_at"] == "2026-03-02T09:05:00Z"
    assert final["resolution"] == "fixed"

    note = client.post(f"{URL}{pk}/timeline/", {"message": "Writing the postmortem"})
    assert note.status_code == 201
    timeline = client.get(f"{URL}{pk}/timeline/").json()
    assert [e["kind"] for e in timeline["results"]] == [
        "declared",
        "acknowledged",
        "status_changed",
        "status_changed",
        "status_changed",
        "resolved",
        "note",
    ]
    assert timeline["results"][2]["message"] == "Looking at the PSP"
    assert timeline["results"][2]["actor"] == {"id": member.pk, "username": "marco"}

    history = client.get(f"{URL}{pk}/history/").json()
    assert [h["status"] for h in history] == [
        "triggered",
        "acknowledged",
        "investigating",
        "identified",
        "monitoring",
        "resolved",
    ]
    assert all(h["history_user"] == "marco" for h in history)
    assert history[1]["changes"]["status"] == ["triggered", "acknowledged"]
    assert history[-1]["changes"]["resolution"] == ["", "fixed"]


def test_acknowledging_twice_is_a_conflict_not_a_second_acknowledgement(api, incident, member):
    client = api.as_user(member)
    assert client.post(f"{URL}{incident.pk}/acknowledge/").status_code == 200
    second = client.post(f"{URL}{incident.pk}/acknowledge/")
    assert second.status_code == 409
    assert "already acknowledged" in second.json()["detail"]
    assert TimelineEvent.objects.filter(incident=incident, kind="acknowledged").count() == 1


def test_backwards_transition_is_409_naming_the_allowed_ones(api, incident, member):
    client = api.as_user(member)
    client.post(f"{URL}{incident.pk}/status/", {"status": "monitoring"})
    response = client.post(f"{URL}{incident.pk}/status/", {"status": "investigating"})
    assert response.status_code == 409
    body = response.json()
    assert body["allowed"] == ["resolved"]
    assert "Allowed next statuses: resolved" in body["detail"]


def test_reopen_only_from_resolved(api, incident, member):
    client = api.as_user(member)
    assert client.post(f"{URL}{incident.pk}/reopen/").status_code == 409
    client.post(f"{URL}{incident.pk}/resolve/", {})
    reopened = client.post(f"{URL}{incident.pk}/reopen/", {"message": "Errors are back"})
    assert reopened.status_code == 200
    assert reopened.json()["status"] == "triggered"
    assert reopened.json()["resolved_at"] is None


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"title": "x", "severity": "SEV1"}, "team"),
        ({"team": "TEAM", "title": "x", "severity": "SEV1"}, "team"),
        ({"team": None, "title": "x", "severity": "SEV9"}, "severity"),
        ({"team": None, "severity": "SEV1"}, "title"),
        ({"team": None, "title": "", "severity": "SEV1"}, "title"),
        ({"team": None, "title": "x" * 300, "severity": "SEV1"}, "title"),
        ({"team": None, "title": "x", "severity": 1}, "severity"),
        ({"team": None, "title": "x", "severity": "SEV1", "services": [10**30]}, "services"),
        ({"team": None, "title": "x", "severity": "SEV1", "services": "abc"}, "services"),
        ({"team": None, "title": "x", "severity": "SEV1", "commander": -1}, "commander"),
        ({"team": None, "title": "x", "severity": "SEV1", "private": "perhaps"}, "private"),
        ({"team": 10**30, "title": "x", "severity": "SEV1"}, "team"),
        ({"team": None, "title": "a\x00b", "severity": "SEV1"}, "title"),
        ({"team": None, "title": "x", "severity": "SEV1", "summary": "x" * 20_001}, "summary"),
        ({"team": None, "title": "x", "severity": "SEV1", "impact": "x" * 20_001}, "impact"),
    ],
)
def test_bad_input_is_400_naming_the_field(api, team, member, payload, field):
    payload = {k: (team.pk if (k == "team" and v is None) else v) for k, v in payload.items()}
    response = api.as_user(member).post(URL, payload, format="json")
    assert response.status_code == 400, response.content
    body = response.json()
    assert field in body["errors"], body
    assert body["detail"].startswith("Invalid input")
    assert not Incident.objects.exists()


def test_malformed_json_is_400(api, member):
    response = api.as_user(member).post(URL, data="{not json", content_type="application/json")
    assert response.status_code == 400
    assert "JSON" in response.json()["detail"]


def test_commander_from_another_team_is_400(api, team, member, outsider):
    response = api.as_user(member).post(
        URL, {"team": team.pk, "title": "x", "severity": "SEV2", "commander": outsider.pk}
    )
    assert response.status_code == 400
    assert "commander" in response.json()["errors"]


def test_team_isolation(api, team, other_team, incident, outsider, staff):
    client = api.as_user(outsider)
    for path in ["", "timeline/", "history/"]:
        assert client.get(f"{URL}{incident.pk}/{path}").status_code == 404
    for path in ["acknowledge/", "resolve/", "reopen/", "timeline/"]:
        assert client.post(f"{URL}{incident.pk}/{path}", {"message": "x"}).status_code == 404
    assert client.patch(f"{URL}{incident.pk}/", {"title": "mine"}).status_code == 404
    assert client.get(URL).json()["count"] == 0
    denied = client.post(URL, {"team": team.pk, "title": "x", "severity": "SEV1"})
    assert denied.status_code == 400
    assert "among your teams" in denied.json()["errors"]["team"][0]
    assert Incident.objects.count() == 1
    incident.refresh_from_db()
    assert incident.status == "triggered"
    # Staff see every team.
    assert api.as_user(staff).get(f"{URL}{incident.pk}/").status_code == 200


def test_partial_update_changes_fields_and_refuses_status(api, incident, member, team):
    client = api.as_user(member)
    response = client.patch(f"{URL}{incident.pk}/", {"severity": "SEV1", "summary": "Worse"})
    assert response.status_code == 200
    assert response.json()["severity"] == "SEV1"
    refused = client.patch(f"{URL}{incident.pk}/", {"status": "resolved"})
    assert refused.status_code == 400
    assert "status" in refused.json()["errors"]
    empty = client.patch(f"{URL}{incident.pk}/", {})
    assert empty.status_code == 400
    kinds = list(incident.timeline.values_list("kind", flat=True))
    assert kinds == ["declared", "severity_changed", "updated"]
    # 2 MiB of summary is refused before it is read; one character too many is a 400
    # naming the field; neither loses what is already stored.
    huge = client.patch(f"{URL}{incident.pk}/", {"summary": "x" * (2 * 1024 * 1024)})
    assert huge.status_code == 413 and huge.json()["errors"] == {}
    long = client.patch(f"{URL}{incident.pk}/", {"summary": "x" * 20_001})
    assert long.status_code == 400 and "summary" in long.json()["errors"]
    incident.refresh_from_db()
    assert incident.summary == "Worse"


def test_idempotency_key_returns_the_first_incident(api, team, member):
    client = api.as_user(member)
    payload = {"team": team.pk, "title": "Disk full", "severity": "SEV3"}
    first = client.post(URL, payload, HTTP_IDEMPOTENCY_KEY="abc-123")
    again = client.post(URL, payload, HTTP_IDEMPOTENCY_KEY="abc-123")
    assert first.status_code == again.status_code == 201
    assert again.json()["id"] == first.json()["id"]
    assert again["Idempotent-Replayed"] == "true"
    assert Incident.objects.count() == 1
    different = client.post(URL, {**payload, "title": "Other"}, HTTP_IDEMPOTENCY_KEY="abc-123")
    assert different.status_code == 409
    fresh = client.post(URL, payload, HTTP_IDEMPOTENCY_KEY="def-456")
    assert fresh.json()["id"] != first.json()["id"]


def test_idempotency_key_is_per_user_and_expires_after_24_hours(api, team, member, manager):
    payload = {"team": team.pk, "title": "Disk full", "severity": "SEV3"}
    with time_machine.travel(T0, tick=False):
        first = api.as_user(member).post(URL, payload, HTTP_IDEMPOTENCY_KEY="k").json()
        other_user = api.as_user(manager).post(URL, payload, HTTP_IDEMPOTENCY_KEY="k").json()
    assert other_user["id"] != first["id"]
    with time_machine.travel(T0 + timedelta(hours=23, minutes=59), tick=False):
        assert (
            api.as_user(member).post(URL, payload, HTTP_IDEMPOTENCY_KEY="k").json()["id"]
            == (first["id"])
        )
    with time_machine.travel(T0 + timedelta(hours=24, minutes=1), tick=False):
        later = api.as_user(member).post(URL, payload, HTTP_IDEMPOTENCY_KEY="k").json()
    assert later["id"] != first["id"]


def test_list_filters(api, team, member):
    checkout = ServiceFactory(team=team, slug="checkout")
    with time_machine.travel(T0, tick=False):
        old = IncidentFactory(team=team, actor=member, severity="SEV1", services=[checkout])
    with time_machine.travel(T0 + timedelta(days=5), tick=False):
        new = IncidentFactory(team=team, actor=member, severity="SEV3")
    client = api.as_user(member)
    client.post(f"{URL}{new.pk}/resolve/", {})

    def ids(query: str) -> list[int]:
        response = client.get(f"{URL}?{query}")
        assert response.status_code == 200, response.json()
        return [row["id"] for row in response.json()["results"]]

    assert ids("severity=sev1") == [old.pk]
    assert ids("status=resolved") == [new.pk]
    assert ids("status=triggered&status=resolved") == [new.pk, old.pk]
    assert ids(f"service={checkout.pk}") == [old.pk]
    assert ids("since=2026-03-03T00:00:00Z") == [new.pk]
    assert ids("until=2026-03-03T00:00:00Z") == [old.pk]
    assert ids("open=true") == [old.pk]
    assert ids(f"team={team.pk}") == [new.pk, old.pk]
    assert ids("q=broken") == [new.pk, old.pk]


@pytest.mark.parametrize(
    "query",
    [
        "status=exploded",
        "since=yesterday",
        "team=abc",
        "open=maybe",
        "page_size=abc",
        "page_size=0",
        "page_size=-3",
    ],
)
def test_bad_filters_are_400_not_500(api, member, query):
    response = api.as_user(member).get(f"{URL}?{query}")
    assert response.status_code == 400, response.content
    # The answer names the parameter.
    assert query.split("=")[0] in response.json()["errors"]


def test_page_size_past_the_maximum_is_the_maximum(api, team, member):
    IncidentFactory(team=team, actor=member)
    response = api.as_user(member).get(f"{URL}?page_size=100000")
    assert response.status_code == 200
    assert response.json()["count"] == 1


def test_huge_ids_are_404_not_500(api, member):
    client = api.as_user(member)
    assert client.get(f"{URL}{10**30}/").status_code == 404
    out_of_range = client.get(f"{URL}?team={10**30}")
    assert out_of_range.status_code == 400
    assert "team" in out_of_range.json()["errors"]
    assert client.get(f"{URL}?page=999").status_code == 404


def test_pagination_shape(api, team, member):
    for _ in range(3):
        IncidentFactory(team=team, actor=member)
    body = api.as_user(member).get(f"{URL}?page_size=2").json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == 3
    assert len(body["results"]) == 2
    assert body["next"]


def test_list_query_count_does_not_grow_with_rows(
    api, team, member, manager, django_assert_max_num_queries
):
    client = api.as_user(member)
    services = [ServiceFactory(team=team) for _ in range(3)]

    def make(n: int) -> None:
        for _ in range(n):
            IncidentFactory(team=team, actor=member, commander=manager, services=services)

    make(2)
    with django_assert_max_num_queries(6):
        assert client.get(URL).status_code == 200
    make(20)
    with django_assert_max_num_queries(6):
        assert len(client.get(URL).json()["results"]) == 22


def test_timeline_query_count_does_not_grow(api, incident, member, django_assert_max_num_queries):
    client = api.as_user(member)
    for i in range(15):
        client.post(f"{URL}{incident.pk}/timeline/", {"message": f"note {i}"})
    with django_assert_max_num_queries(6):
        assert client.get(f"{URL}{incident.pk}/timeline/").json()["count"] == 16


def test_member_of_two_teams_sees_both(api, team, other_team, member):
    TeamMembershipFactory(team=other_team, user=member)
    IncidentFactory(team=team, actor=member)
    IncidentFactory(team=other_team, actor=member)
    assert api.as_user(member).get(URL).json()["count"] == 2


def test_user_without_teams_sees_nothing_and_creates_nothing(api, team, incident):
    loner = UserFactory(username="loner")
    client = api.as_user(loner)
    assert client.get(URL).json()["count"] == 0
    assert client.post(URL, {"team": team.pk, "title": "x", "severity": "SEV1"}).status_code == 400


def test_every_path_refuses_incident_text_over_the_limit(team, member, incident):
    """The limit is the service's, so the web app and the admin cannot bypass it."""
    from common.errors import InvalidInput
    from incidents import services
    from incidents.models import Severity

    with pytest.raises(InvalidInput) as refused:
        services.incident_create(
            actor=member,
            team=team,
            title="x",
            severity=Severity.objects.get(name="SEV2"),
            impact="x" * 20_001,
        )
    assert "impact" in refused.value.errors
    with pytest.raises(InvalidInput):
        services.incident_update(incident=incident, actor=member, summary="x" * 20_001)
    assert Incident.objects.count() == 1
