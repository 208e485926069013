"""The runbooks API: CRUD scoped to teams, filters, versions and diff, coverage."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from runbooks.selectors import runbook_coverage
from tests.incidents.factories import ServiceFactory
from tests.runbooks.factories import BODY, RunbookFactory

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_create_render_and_read(api, team, member, service):
    client = api.as_user(member)
    response = client.post(
        "/api/v1/runbooks/",
        {
            "team": team.pk,
            "title": "High latency",
            "body": BODY + "\n<script>alert(1)</script>",
            "services": [service.pk],
            "matchers": {"alert_names": ["HighLatency"], "labels": {"env": "prod"}},
            "severity_hint": "SEV2",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["services"] == [{"id": service.pk, "slug": "checkout-api", "name": "Checkout API"}]
    assert body["matchers"] == {
        "alert_names": ["HighLatency"],
        "labels": {"env": "prod"},
        "title_keywords": [],
    }
    assert body["severity_hint"] == "SEV2"
    assert body["missing_sections"] == []
    assert "<script" not in body["body_html"]
    assert body["review_interval_days"] == 90
    assert body["stale"] is False


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"matchers": {"alert_names": "HighLatency"}}, "matchers"),
        ({"matchers": {"labels": ["env=prod"]}}, "matchers"),
        ({"matchers": {"colour": []}}, "matchers"),
        ({"matchers": "nope"}, "matchers"),
        ({"matchers": {"labels": {"env": "pr\x00od"}}}, "matchers"),
        ({"matchers": {"labels": {"e\x00nv": "prod"}}}, "matchers"),
        ({"review_interval_days": 0}, "review_interval_days"),
        ({"title": ""}, "title"),
        ({"severity_hint": "SEV9"}, "severity_hint"),
        ({"services": [999999]}, "services"),
        ({"last_tested_at": "2999-01-01T00:00:00Z"}, "last_tested_at"),
    ],
)
def test_invalid_input_is_400(api, team, member, payload, field):
    data = {"team": team.pk, "title": "T", "body": BODY, **payload}
    response = api.as_user(member).post("/api/v1/runbooks/", data, format="json")
    assert response.status_code == 400, response.json()
    assert field in response.json()["errors"]


def test_other_teams_services_and_runbooks_are_invisible(api, team, other_team, member, outsider):
    theirs = ServiceFactory(team=other_team)
    response = api.as_user(member).post(
        "/api/v1/runbooks/",
        {"team": team.pk, "title": "T", "body": BODY, "services": [theirs.pk]},
        format="json",
    )
    assert response.status_code == 400
    runbook = RunbookFactory(team=team, title="Ours")
    client = api.as_user(outsider)
    assert client.get(f"/api/v1/runbooks/{runbook.pk}/").status_code == 404
    assert client.get("/api/v1/runbooks/").json()["results"] == []
    assert (
        client.patch(
            f"/api/v1/runbooks/{runbook.pk}/", {"title": "Mine"}, format="json"
        ).status_code
        == 404
    )
    assert client.get(f"/api/v1/runbooks/coverage/?team={team.pk}").status_code == 404


def test_duplicate_title_is_409(api, team, member):
    RunbookFactory(team=team, title="Dup")
    response = api.as_user(member).post(
        "/api/v1/runbooks/", {"team": team.pk, "title": "Dup", "body": BODY}, format="json"
    )
    assert response.status_code == 409


def test_filters_team_service_stale(api, team, member, service):
    with time_machine.travel(T0 - timedelta(days=100), tick=False):
        old = RunbookFactory(team=team, title="Old", services=[service])
    with time_machine.travel(T0, tick=False):
        fresh = RunbookFactory(team=team, title="Fresh")
        client = api.as_user(member)

        def titles(query):
            return [r["title"] for r in client.get(f"/api/v1/runbooks/{query}").json()["results"]]

        assert titles("") == ["Fresh", "Old"]
        assert titles("?stale=true") == ["Old"]
        assert titles("?stale=false") == ["Fresh"]
        assert titles(f"?service={service.pk}") == ["Old"]
        assert titles(f"?team={team.pk}") == ["Fresh", "Old"]
        assert client.get("/api/v1/runbooks/?team=abc").status_code == 400
    assert old.pk != fresh.pk


def test_versions_and_diff(api, team, member):
    runbook = RunbookFactory(team=team, title="Latency", actor=member)
    client = api.as_user(member)
    client.patch(
        f"/api/v1/runbooks/{runbook.pk}/",
        {"body": BODY.replace("Scale out.", "Scale out to 10 replicas.")},
        format="json",
    )
    client.patch(f"/api/v1/runbooks/{runbook.pk}/", {"title": "High latency"}, format="json")
    versions = client.get(f"/api/v1/runbooks/{runbook.pk}/versions/").json()
    assert [v["title"] for v in versions] == ["High latency", "Latency", "Latency"]
    assert versions[-1]["history_user"] == "marco"
    newest, _middle, first = (v["history_id"] for v in versions)
    diff = client.get(f"/api/v1/runbooks/{runbook.pk}/diff/?from={first}&to={newest}").json()
    assert diff["from"] == first and diff["to"] == newest
    assert diff["changes"] == {"title": ["Latency", "High latency"]}
    assert "-Scale out.\n+Scale out to 10 replicas.\n" in diff["body_diff"]
    assert client.get(f"/api/v1/runbooks/{runbook.pk}/diff/?from=x&to=1").status_code == 400
    assert client.get(f"/api/v1/runbooks/{runbook.pk}/diff/?from=1&to=999999").status_code == 400


def test_list_queries_do_not_grow_with_rows(
    api, team, member, service, django_assert_max_num_queries
):
    client = api.as_user(member)
    for n in range(2):
        RunbookFactory(team=team, title=f"R{n}", services=[service])
    with django_assert_max_num_queries(8):
        client.get("/api/v1/runbooks/")
    for n in range(2, 20):
        RunbookFactory(team=team, title=f"R{n}", services=[service])
    with django_assert_max_num_queries(8):
        assert len(client.get("/api/v1/runbooks/").json()["results"]) == 20


def test_coverage_on_a_known_data_set(api, team, member):
    checkout = ServiceFactory(team=team, name="Checkout", slug="checkout")
    db = ServiceFactory(team=team, name="Database", slug="db")
    ServiceFactory(team=team, name="Search", slug="search")
    latency = RunbookFactory(
        team=team,
        title="High latency",
        services=[checkout],
        matchers={"alert_names": ["HighLatency"]},
    )
    outage = RunbookFactory(
        team=team, title="DB outage", services=[db], matchers={"alert_names": ["PostgresDown"]}
    )
    report = runbook_coverage(
        team=team, alert_names=["HighLatency", "DiskFull", "PostgresDown", "HighLatency"]
    )
    assert [
        (r["service"]["slug"], [b["id"] for b in r["runbooks"]]) for r in report["services"]
    ] == [
        ("checkout", [latency.pk]),
        ("db", [outage.pk]),
        ("search", []),
    ]
    assert [(r["alert_name"], r["covered"]) for r in report["alert_names"]] == [
        ("DiskFull", False),
        ("HighLatency", True),
        ("PostgresDown", True),
    ]
    assert (report["covered"], report["total"]) == (4, 6)

    # Through the API: alert names come from alert_names_seen(); this team received none
    # (tests/runbooks/test_alert_matching.py covers alerts).
    body = api.as_user(member).get(f"/api/v1/runbooks/coverage/?team={team.pk}").json()
    assert [r["covered"] for r in body["services"]] == [True, True, False]
    assert body["alert_names"] == []
    assert body["alert_names_available"] is True
    assert api.as_user(member).get("/api/v1/runbooks/coverage/").status_code == 400


@pytest.mark.parametrize(
    "raw",
    [
        '{"labels": {"env": "\\ud800"}}',
        '{"labels": {"\\udfff": "prod"}}',
        '{"labels": {"env": NaN}}',
        '{"labels": {"env": 1e999}}',
    ],
)
def test_text_and_numbers_the_database_cannot_store_are_a_400(api, team, member, raw):
    body = f'{{"team": {team.pk}, "title": "T", "body": "Steps", "matchers": {raw}}}'
    response = api.as_user(member).post(
        "/api/v1/runbooks/", data=body, content_type="application/json"
    )
    assert response.status_code == 400, response.content
    assert "JSON parse error" in response.json()["detail"]
