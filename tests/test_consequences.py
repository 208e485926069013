"""What each change to an incident causes, in order: config.consequences is the only list,
and it is the list the signals actually call."""

import weakref

from config.consequences import CONSEQUENCES
from incidents.paging.signals import responders_paged
from incidents.signals import (
    alert_received,
    incident_declared,
    incident_status_changed,
    incident_updated,
)

EXPECTED = {
    incident_declared: [
        "incidents.paging.receivers.on_incident_declared",
        "incidents.mirroring.receivers.on_incident_declared",
        "incidents.communication.receivers.on_incident_declared",
        "runbooks.receivers.on_incident_declared",
    ],
    incident_status_changed: [
        "incidents.paging.receivers.on_incident_status_changed",
        "incidents.alerts.receivers.on_incident_status_changed",
        "incidents.mirroring.receivers.on_incident_status_changed",
        "incidents.communication.receivers.on_incident_status_changed",
        "postmortems.receivers.on_incident_status_changed",
        "runbooks.receivers.on_incident_status_changed",
    ],
    incident_updated: [
        "incidents.communication.receivers.on_incident_updated",
        "postmortems.receivers.on_incident_updated",
        "runbooks.receivers.on_incident_updated",
    ],
    responders_paged: ["incidents.communication.receivers.on_responders_paged"],
    alert_received: ["runbooks.receivers.on_alert_received"],
}


def _name(receiver) -> str:
    return f"{receiver.__module__}.{receiver.__qualname__}"


def test_the_list_of_consequences_is_pinned():
    assert {
        signal: [_name(r) for r in receivers] for signal, receivers in CONSEQUENCES.items()
    } == (EXPECTED)


def test_the_signals_call_exactly_the_listed_receivers_in_that_order():
    # Whatever else was imported at start-up, nothing connected a receiver of its own.
    for signal, names in EXPECTED.items():
        connected = [
            _name(receiver() if isinstance(receiver, weakref.ReferenceType) else receiver)
            for _key, receiver, *_ in signal.receivers
        ]
        assert connected == names
