"""The incident lifecycle's refusals and shortcuts, as callers see them: the 409 each
refused move returns (its text and the allowed moves it names), and what the
acknowledge / set-status / resolve / reopen shortcuts record (who, what was said, which
resolution). Found missing by mutation testing."""

import pytest

from common.errors import Conflict
from incidents import services
from incidents.models import TimelineEventKind

pytestmark = pytest.mark.django_db


def refusal(call, **kwargs):
    with pytest.raises(Conflict) as excinfo:
        call(**kwargs)
    return excinfo.value.detail, excinfo.value.extra


def test_acknowledging_twice_says_it_is_already_acknowledged_and_what_comes_next(incident, member):
    services.incident_acknowledge(incident=incident, actor=member)
    detail, extra = refusal(services.incident_acknowledge, incident=incident, actor=member)
    assert detail == (
        "The incident is already acknowledged. "
        "Allowed next statuses: investigating, identified, monitoring, resolved."
    )
    assert extra == {
        "status": "acknowledged",
        "allowed": ["investigating", "identified", "monitoring", "resolved"],
    }


def test_resolving_a_resolved_incident_says_already_resolved_and_names_no_next_status(
    incident, member
):
    services.incident_resolve(incident=incident, actor=member)
    detail, extra = refusal(services.incident_resolve, incident=incident, actor=member)
    assert detail == "The incident is already resolved."
    assert extra == {"status": "resolved", "allowed": []}


def test_moving_a_resolved_incident_says_reopen_it_first(incident, member):
    services.incident_resolve(incident=incident, actor=member)
    detail, extra = refusal(
        services.incident_set_status, incident=incident, to_status="monitoring", actor=member
    )
    assert detail == "The incident is resolved; reopen it first (POST …/reopen/)."
    assert extra == {"status": "resolved", "allowed": []}


def test_acknowledging_past_triggered_says_only_triggered_incidents_can_be(incident, member):
    services.incident_set_status(incident=incident, to_status="investigating", actor=member)
    detail, extra = refusal(services.incident_acknowledge, incident=incident, actor=member)
    assert detail == (
        "Only a triggered incident can be acknowledged; this one is investigating. "
        "Allowed next statuses: identified, monitoring, resolved."
    )
    assert extra == {"status": "investigating", "allowed": ["identified", "monitoring", "resolved"]}


def test_moving_backwards_names_both_statuses_and_the_allowed_ones(incident, member):
    services.incident_set_status(incident=incident, to_status="identified", actor=member)
    detail, extra = refusal(
        services.incident_set_status, incident=incident, to_status="acknowledged", actor=member
    )
    # Backwards to "acknowledged" from past triggered reads as the acknowledge refusal...
    assert detail.startswith(
        "Only a triggered incident can be acknowledged; this one is identified."
    )
    detail, extra = refusal(
        services.incident_set_status, incident=incident, to_status="triggered", actor=member
    )
    # ...any other backwards move says where from and where to.
    assert detail == (
        "Cannot move the incident from identified back to triggered. "
        "Allowed next statuses: monitoring, resolved."
    )
    assert extra == {"status": "identified", "allowed": ["monitoring", "resolved"]}


def test_reopening_an_open_incident_names_its_status_and_allowed_moves(incident, member):
    detail, extra = refusal(services.incident_reopen, incident=incident, actor=member)
    assert detail == "Only a resolved incident can be reopened; this one is triggered."
    assert extra["status"] == "triggered"
    assert extra["allowed"] == [
        "acknowledged",
        "investigating",
        "identified",
        "monitoring",
        "resolved",
    ]


@pytest.mark.parametrize(
    ("shortcut", "kwargs", "kind"),
    [
        (services.incident_acknowledge, {}, TimelineEventKind.ACKNOWLEDGED),
        (
            services.incident_set_status,
            {"to_status": "monitoring"},
            TimelineEventKind.STATUS_CHANGED,
        ),
        (services.incident_resolve, {}, TimelineEventKind.RESOLVED),
    ],
)
def test_each_shortcut_records_who_moved_the_incident_and_what_they_said(
    incident, member, shortcut, kwargs, kind
):
    shortcut(incident=incident, actor=member, message="Looking into it", **kwargs)
    event = incident.timeline.get(kind=kind)
    assert event.actor == member
    assert event.message == "Looking into it"


def test_resolving_without_a_resolution_records_fixed(incident, member):
    services.incident_resolve(incident=incident, actor=member)
    incident.refresh_from_db()
    assert incident.status == "resolved" and incident.resolution == "fixed"
    assert incident.timeline.get(kind=TimelineEventKind.RESOLVED).data["resolution"] == "fixed"


def test_resolving_records_the_resolution_given(incident, member):
    services.incident_resolve(incident=incident, actor=member, resolution="duplicate")
    incident.refresh_from_db()
    assert incident.resolution == "duplicate"


def test_reopen_records_who_reopened_it_and_returns_it_triggered(incident, member):
    services.incident_resolve(incident=incident, actor=member)
    reopened = services.incident_reopen(incident=incident, actor=member, message="Back again")
    assert reopened.status == "triggered" and reopened.reopen_count == 1
    event = incident.timeline.get(kind=TimelineEventKind.REOPENED)
    assert event.actor == member and event.message == "Back again"


def test_a_move_without_a_message_records_an_empty_one(incident, member):
    services.incident_acknowledge(incident=incident, actor=member)
    services.incident_set_status(incident=incident, to_status="monitoring", actor=member)
    services.incident_resolve(incident=incident, actor=member)
    services.incident_reopen(incident=incident, actor=member)
    messages = dict(
        incident.timeline.exclude(kind=TimelineEventKind.DECLARED).values_list("kind", "message")
    )
    assert messages == {
        TimelineEventKind.ACKNOWLEDGED: "",
        TimelineEventKind.STATUS_CHANGED: "",
        TimelineEventKind.RESOLVED: "",
        TimelineEventKind.REOPENED: "",
    }
