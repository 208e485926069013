"""Managing integrations and reading alerts through the REST API."""

import json

import pytest
from django.test import Client, TestCase

from incidents.alerts.models import Alert, Integration

pytestmark = pytest.mark.django_db


def enqueue(key, dedup_key="k", summary="Disk full"):
    """Send an event and run what its commit starts (the eager task that applies it)."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        return _post_event(key, dedup_key, summary)


def _post_event(key, dedup_key, summary):
    return Client().post(
        "/v2/enqueue",
        data=json.dumps(
            {
                "routing_key": key,
                "event_action": "trigger",
                "dedup_key": dedup_key,
                "payload": {"summary": summary, "source": "db1", "severity": "critical"},
            }
        ),
        content_type="application/json",
    )


def test_manager_creates_integration_and_sees_key_and_url_once(api, manager, team, severities):
    response = api.as_user(manager).post(
        "/api/v1/integrations/",
        {"team": team.pk, "name": "Prometheus", "kind": "alertmanager"},
    )
    assert response.status_code == 201, response.json()
    created = response.json()
    key = created["routing_key"]
    assert len(key) == 32
    assert created["url"] == f"http://localhost:8000/api/v1/integrations/{key}/alertmanager/"
    assert created["severity_mapping"] == {
        "critical": "SEV1",
        "error": "SEV2",
        "warning": "SEV3",
        "info": "SEV4",
    }
    assert key not in str(Integration.objects.values_list())  # only its digest is stored

    again = api.get(f"/api/v1/integrations/{created['id']}/").json()
    assert again["routing_key"] is None
    assert again["url"] is None
    assert again["routing_key_hint"] == key[:6]


def test_events_v2_url_is_the_base_to_give_pagerduty_clients(api, manager, team, severities):
    created = api.as_user(manager).post(
        "/api/v1/integrations/", {"team": team.pk, "name": "Scripts", "kind": "events_v2"}
    )
    assert created.json()["url"] == "http://localhost:8000/v2/enqueue"


def test_rotating_the_key_retires_the_old_one(api, manager, make_integration):
    integration, old_key = make_integration()
    assert enqueue(old_key).status_code == 202
    response = api.as_user(manager).post(f"/api/v1/integrations/{integration.pk}/rotate-key/")
    assert response.status_code == 200
    new_key = response.json()["routing_key"]
    assert new_key != old_key
    assert enqueue(old_key).json()["message"] == "Unknown routing key"
    assert enqueue(new_key).status_code == 202


def test_members_read_but_only_managers_change(api, member, make_integration):
    integration, _ = make_integration()
    client = api.as_user(member)
    assert client.get("/api/v1/integrations/").json()["count"] == 1
    assert client.post(f"/api/v1/integrations/{integration.pk}/rotate-key/").status_code == 403
    assert (
        client.patch(f"/api/v1/integrations/{integration.pk}/", {"enabled": False}).status_code
        == 403
    )


def test_another_teams_integration_is_not_found(api, outsider, make_integration):
    integration, _ = make_integration()
    client = api.as_user(outsider)
    assert client.get(f"/api/v1/integrations/{integration.pk}/").status_code == 404
    assert client.post(f"/api/v1/integrations/{integration.pk}/rotate-key/").status_code == 404
    assert client.get("/api/v1/integrations/").json()["count"] == 0


def test_update_validates_settings(api, manager, make_integration):
    integration, _ = make_integration()
    client = api.as_user(manager)
    bad = client.patch(
        f"/api/v1/integrations/{integration.pk}/",
        {"severity_mapping": {"critical": "SEV9"}},
        format="json",
    )
    assert bad.status_code == 400
    assert "severity_mapping" in bad.json()["errors"]
    good = client.patch(
        f"/api/v1/integrations/{integration.pk}/",
        {"rate_limit_per_minute": 5, "auto_resolve": False},
        format="json",
    )
    assert good.status_code == 200
    integration.refresh_from_db()
    assert (integration.rate_limit_per_minute, integration.auto_resolve) == (5, False)
    assert integration.history.count() == 2


def test_creating_with_another_teams_service_is_refused(api, manager, team, other_team):
    from tests.incidents.factories import ServiceFactory

    foreign = ServiceFactory(team=other_team)
    response = api.as_user(manager).post(
        "/api/v1/integrations/",
        {"team": team.pk, "name": "x", "kind": "webhook", "service": foreign.pk},
    )
    assert response.status_code == 400
    assert "service" in response.json()["errors"]


def test_alerts_list_is_searchable_scoped_and_keeps_labels(api, member, outsider, make_integration):
    _, key = make_integration()
    enqueue(key, dedup_key="a", summary="Disk full on db1")
    enqueue(key, dedup_key="b", summary="CPU hot on web1")
    client = api.as_user(member)
    listed = client.get("/api/v1/alerts/").json()
    assert listed["count"] == 2
    found = client.get("/api/v1/alerts/", {"q": "disk"}).json()["results"]
    assert [a["dedup_key"] for a in found] == ["a"]
    assert found[0]["incident_reference"].startswith("PAY-")
    assert found[0]["severity"] == "SEV1"
    assert api.as_user(outsider).get("/api/v1/alerts/").json()["count"] == 0
    alert_id = found[0]["id"]
    assert api.as_user(outsider).get(f"/api/v1/alerts/{alert_id}/").status_code == 404


def test_alerts_filter_by_label(api, member, make_integration):
    _, key = make_integration(kind="alertmanager")
    Client().post(
        f"/api/v1/integrations/{key}/alertmanager/",
        data=json.dumps(
            {
                "version": "4",
                "groupKey": "g",
                "status": "firing",
                "commonLabels": {"alertname": "DiskFull", "team": "storage"},
                "alerts": [{"status": "firing", "labels": {"alertname": "DiskFull"}}],
            }
        ),
        content_type="application/json",
    )
    client = api.as_user(member)
    assert client.get("/api/v1/alerts/", {"label": "team:storage"}).json()["count"] == 1
    assert client.get("/api/v1/alerts/", {"label": "team:web"}).json()["count"] == 0
    assert client.get("/api/v1/alerts/", {"name": "DiskFull"}).json()["count"] == 1
    # The key is a label's name, never an ORM lookup: these were 500s.
    for label in ("team__regex:(", "team__isnull:true", "alertname__startswith:Disk"):
        response = client.get("/api/v1/alerts/", {"label": label})
        assert response.status_code == 200 and response.json()["count"] == 0, label


def test_alert_list_query_count_does_not_grow(
    api, member, make_integration, django_assert_max_num_queries
):
    _, key = make_integration()
    client = api.as_user(member)
    enqueue(key, dedup_key="first")
    with django_assert_max_num_queries(8) as few:
        client.get("/api/v1/alerts/")
    baseline = len(few.captured_queries)
    for index in range(15):
        enqueue(key, dedup_key=f"k{index}")
    assert Alert.objects.count() == 16
    with django_assert_max_num_queries(baseline):
        assert client.get("/api/v1/alerts/").json()["count"] == 16


def test_integration_list_query_count_does_not_grow(
    api, manager, make_integration, django_assert_max_num_queries
):
    make_integration(name="one")
    client = api.as_user(manager)
    with django_assert_max_num_queries(8) as few:
        client.get("/api/v1/integrations/")
    baseline = len(few.captured_queries)
    for index in range(10):
        make_integration(name=f"n{index}")
    with django_assert_max_num_queries(baseline):
        assert client.get("/api/v1/integrations/").json()["count"] == 11


def test_pagerduty_mirror_api(api, manager, member, outsider, team, service):
    client = api.as_user(manager)
    created = client.post(
        "/api/v1/pagerduty-mirrors/", {"team": team.pk, "routing_key": "PDKEY-1234567890"}
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert "routing_key" not in body
    assert body["routing_key_hint"] == "PDKE…"
    duplicate = client.post("/api/v1/pagerduty-mirrors/", {"team": team.pk, "routing_key": "other"})
    assert duplicate.status_code == 409
    per_service = client.post(
        "/api/v1/pagerduty-mirrors/",
        {"team": team.pk, "service": service.pk, "routing_key": "svc"},
    )
    assert per_service.status_code == 201
    assert api.as_user(member).get("/api/v1/pagerduty-mirrors/").json()["count"] == 2
    assert (
        api.as_user(member)
        .patch(f"/api/v1/pagerduty-mirrors/{body['id']}/", {"enabled": False})
        .status_code
        == 403
    )
    assert api.as_user(outsider).get("/api/v1/pagerduty-mirrors/").json()["count"] == 0
    assert (
        api.as_user(outsider).delete(f"/api/v1/pagerduty-mirrors/{body['id']}/").status_code == 404
    )
    client = api.as_user(manager)
    assert (
        client.patch(f"/api/v1/pagerduty-mirrors/{body['id']}/", {"enabled": False}).json()[
            "enabled"
        ]
        is False
    )
    assert client.delete(f"/api/v1/pagerduty-mirrors/{body['id']}/").status_code == 204
    assert client.get("/api/v1/pagerduty-mirrors/").json()["count"] == 1


def test_raw_events_of_an_alert_are_kept_and_searchable(api, member, outsider, make_integration):
    _, key = make_integration()
    for _ in range(3):
        enqueue(key, dedup_key="disk", summary="Disk full")
    client = api.as_user(member)
    alert = client.get("/api/v1/alerts/", {"q": "CRITICAL"}).json()["results"][
        0
    ]  # raw payload only
    assert alert["count"] == 3
    events = client.get(f"/api/v1/alerts/{alert['id']}/events/").json()
    assert events["count"] == 3
    assert events["results"][0]["payload"]["payload"]["summary"] == "Disk full"
    assert "routing_key" not in events["results"][0]["payload"]
    assert api.as_user(outsider).get(f"/api/v1/alerts/{alert['id']}/events/").status_code == 404
