import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from incidents import services
from incidents.reporting import providers
from tests.incidents.factories import IncidentFactory

TOKEN = "scrape-secret"


@pytest.fixture
def open_incidents(team, member, other_team, outsider):
    IncidentFactory(team=team, actor=member, severity="SEV1")
    IncidentFactory(team=team, actor=member, severity="SEV1")
    IncidentFactory(team=team, actor=member, severity="SEV3")
    resolved = IncidentFactory(team=team, actor=member, severity="SEV2")
    services.incident_resolve(incident=resolved, actor=member)
    IncidentFactory(team=other_team, actor=outsider, severity="SEV2")


@override_settings(METRICS_TOKEN=TOKEN)
def test_open_incidents_by_team_and_severity(client, open_incidents):
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    samples = [line for line in response.content.decode().splitlines() if not line.startswith("#")]
    assert samples == [
        'tocsin_open_incidents{team="MOB",severity="SEV2"} 1',
        'tocsin_open_incidents{team="PAY",severity="SEV1"} 2',
        'tocsin_open_incidents{team="PAY",severity="SEV3"} 1',
        "tocsin_escalation_engine_lag_seconds 0.0",  # no policy: nothing escalating
    ]
    assert "# TYPE tocsin_escalation_engine_lag_seconds gauge" in response.content.decode()


@override_settings(METRICS_TOKEN=TOKEN)
def test_engine_lag_comes_from_its_provider(client, db):
    registered = providers.registered_providers()["escalation_engine_lag_seconds"]
    providers.register_provider("escalation_engine_lag_seconds", lambda scope: 2.5)
    try:
        body = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").content.decode()
    finally:
        providers.register_provider("escalation_engine_lag_seconds", registered)
    assert "tocsin_escalation_engine_lag_seconds 2.5" in body.splitlines()


@override_settings(METRICS_TOKEN=TOKEN)
@pytest.mark.parametrize("header", [None, "Bearer wrong", f"Token {TOKEN}", "Bearer"])
def test_a_missing_or_wrong_token_is_refused(client, db, header):
    extra = {"HTTP_AUTHORIZATION": header} if header else {}
    response = client.get("/metrics", **extra)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")


@override_settings(METRICS_TOKEN="")
def test_without_a_configured_token_the_endpoint_is_off(client, db):
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 404


@override_settings(METRICS_TOKEN=TOKEN)
def test_scrape_query_count_does_not_grow(
    client, open_incidents, team, member, other_team, outsider, django_assert_max_num_queries
):
    def scrape() -> int:
        with CaptureQueriesContext(connection) as queries:
            response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
        assert response.status_code == 200
        return len(queries)

    before = scrape()
    for severity in ("SEV1", "SEV2", "SEV3", "SEV4"):
        IncidentFactory(team=team, actor=member, severity=severity)
        IncidentFactory(team=other_team, actor=outsider, severity=severity)
    # One query for the open incidents, one for the engine lag, whatever the rows.
    assert scrape() == before <= 2
