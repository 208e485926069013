"""What each change to an incident causes, in the order it happens.

``incidents.services`` (the only place an incident changes) sends one of the signals of
``incidents.signals`` inside the transaction that changed the incident; the receivers
below run in the order listed, still inside that transaction. A receiver that writes rows
(a postmortem draft, pages) writes them with the change; anything that talks to the
outside world (pages sent, Slack, PagerDuty, e-mail) is queued with
``transaction.on_commit`` and happens after the commit.

This is the only place receivers are connected: nothing else calls ``Signal.connect`` for
these signals, and ``tests/test_consequences.py`` pins the lists.
"""

from incidents.alerts import receivers as alerts
from incidents.communication import receivers as communication
from incidents.mirroring import receivers as mirroring
from incidents.paging import receivers as paging
from incidents.paging.signals import responders_paged
from incidents.signals import (
    alert_received,
    incident_declared,
    incident_status_changed,
    incident_updated,
)
from postmortems import receivers as postmortems
from runbooks import receivers as runbooks

CONSEQUENCES = {
    # Declared (from the API, the web app, the admin or an alert).
    incident_declared: (
        paging.on_incident_declared,  # snapshot the policy, page the first rule at once
        mirroring.on_incident_declared,  # trigger the incident in PagerDuty (after commit)
        communication.on_incident_declared,  # Slack channel (SEV1/SEV2); team auto-publish
        runbooks.on_incident_declared,  # attach the runbooks that match
    ),
    # Acknowledged, moved forward, resolved or reopened.
    incident_status_changed: (
        paging.on_incident_status_changed,  # ack/resolve stop paging; reopen pages again
        alerts.on_incident_status_changed,  # resolved: its open alerts resolve
        mirroring.on_incident_status_changed,  # acknowledge/resolve in PagerDuty
        communication.on_incident_status_changed,  # say it in the Slack channel
        postmortems.on_incident_status_changed,  # resolved SEV1/SEV2: the postmortem draft
        runbooks.on_incident_status_changed,  # resolved: ask whether the runbook helped
    ),
    # Title, severity, services or roles changed.
    incident_updated: (
        communication.on_incident_updated,  # new roles join the channel; raised: open one
        postmortems.on_incident_updated,  # resolved and raised to SEV1/SEV2: the draft
        runbooks.on_incident_updated,  # services or title changed: attach what now matches
    ),
    # The paging engine paged people for an incident (any step).
    responders_paged: (
        communication.on_responders_paged,  # they join the incident's Slack channel
    ),
    # An alert declared the incident or joined it.
    alert_received: (
        runbooks.on_alert_received,  # attach runbooks matching the alert's name and labels
    ),
}


def consequences_connect() -> None:
    for signal, receivers in CONSEQUENCES.items():
        for receiver in receivers:
            uid = f"{receiver.__module__}.{receiver.__qualname__}"
            signal.connect(receiver, dispatch_uid=uid, weak=False)
