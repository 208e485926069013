"""PagerDuty-compatible Events API v2 at POST /v2/enqueue: what PagerDuty clients send
(pdpyras) and get back, deduplication, severity mapping and the incident lifecycle."""

import pdpyras
import pytest

from incidents import services
from incidents.alerts.models import Alert, AlertEvent
from incidents.models import Incident, IncidentStatus
from tests.incidents.alerts.enqueue import post, trigger

pytestmark = pytest.mark.django_db


@pytest.mark.django_db(transaction=True)
def test_pdpyras_session_triggers_acknowledges_and_resolves(live_server, make_integration):
    _, key = make_integration()
    session = pdpyras.EventsAPISession(key)
    session.url = live_server.url  # the only change a PagerDuty script needs

    dedup_key = session.trigger(
        "Checkout latency above 2 s",
        "checkout-1",
        dedup_key="checkout-latency",
        severity="error",
        custom_details={"p99_ms": 2300},
        links=[{"href": "https://grafana.example/d/1", "text": "dashboard"}],
    )
    assert dedup_key == "checkout-latency"
    incident = Incident.objects.get()
    assert incident.status == IncidentStatus.TRIGGERED
    assert incident.title == "Checkout latency above 2 s"
    assert incident.severity.name == "SEV2"  # error → SEV2
    assert incident.source == "events_v2"
    assert incident.dedup_key == "checkout-latency"

    # A repeat is the same alert, counted, on the same incident.
    assert session.trigger("Checkout latency above 2 s", "checkout-1", dedup_key=dedup_key)
    assert Incident.objects.count() == 1
    alert = Alert.objects.get()
    assert (alert.count, alert.incident_id) == (2, incident.pk)
    assert alert.last_seen >= alert.first_seen

    session.acknowledge(dedup_key)
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.ACKNOWLEDGED

    session.resolve(dedup_key)
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.RESOLVED
    alert.refresh_from_db()
    assert not alert.is_open

    # After resolution the same key opens a new incident.
    session.trigger("Checkout latency above 2 s", "checkout-1", dedup_key=dedup_key)
    assert Incident.objects.count() == 2
    assert AlertEvent.objects.count() == 5
    assert "routing_key" not in AlertEvent.objects.first().payload


def test_accepted_event_answers_like_pagerduty(make_integration):
    _, key = make_integration()
    response = post(trigger(key, dedup_key="k1"))
    assert response.status_code == 202
    assert response.json() == {"status": "success", "message": "Event processed", "dedup_key": "k1"}


def test_trigger_without_dedup_key_retried_after_timeout_opens_one_incident(make_integration):
    _, key = make_integration()
    first = post(trigger(key)).json()["dedup_key"]
    second = post(trigger(key)).json()["dedup_key"]
    assert first == second
    assert Incident.objects.count() == 1
    assert Alert.objects.get().count == 2


def test_severity_mapping_is_editable_per_integration(make_integration):
    _, key = make_integration(severity_mapping={"warning": "SEV1"})
    post(trigger(key, dedup_key="w", severity="warning"))
    assert Incident.objects.get().severity.name == "SEV1"


def test_default_severity_mapping(make_integration):
    _, key = make_integration()
    for index, severity in enumerate(["critical", "error", "warning", "info"]):
        post(trigger(key, dedup_key=f"k{index}", severity=severity))
    names = dict(Alert.objects.values_list("source_severity", "severity__name"))
    assert names == {"critical": "SEV1", "error": "SEV2", "warning": "SEV3", "info": "SEV4"}


def test_incident_resolved_by_a_person_lets_the_key_open_a_new_incident(make_integration):
    _, key = make_integration()
    post(trigger(key, dedup_key="disk"))
    services.incident_resolve(incident=Incident.objects.get(), actor=None)
    post(trigger(key, dedup_key="disk"))
    assert Incident.objects.count() == 2
    assert Alert.objects.filter(is_open=True).count() == 1


def test_acknowledge_and_resolve_of_an_unknown_key_are_accepted_and_kept(make_integration):
    _, key = make_integration()
    for action in ("acknowledge", "resolve"):
        response = post({"routing_key": key, "event_action": action, "dedup_key": "nothing"})
        assert response.status_code == 202
    assert AlertEvent.objects.filter(alert=None).count() == 2
    assert not Incident.objects.exists()


def test_resolve_event_with_auto_resolve_off_keeps_incident_open(make_integration):
    _, key = make_integration(auto_resolve=False)
    post(trigger(key, dedup_key="k"))
    post({"routing_key": key, "event_action": "resolve", "dedup_key": "k"})
    assert Incident.objects.get().status == IncidentStatus.TRIGGERED
    post(trigger(key, dedup_key="k"))  # fires again: same incident
    assert Incident.objects.count() == 1
