"""What the incidents core announces when an incident changes.

They are sent by ``incidents.services`` *inside* the transaction that changed the
incident, so a receiver may write rows that must exist together with the change (a
postmortem draft, pages) and must defer outside effects with ``transaction.on_commit``.
Receivers stay thin and call a service of their own room or app. Which receivers run, and
in which order, is listed in one place: ``config.consequences``.
"""

from django.dispatch import Signal

# kwargs: incident, actor
incident_declared = Signal()
# kwargs: incident, actor, old_status, new_status, reopened (bool)
incident_status_changed = Signal()
# kwargs: incident, actor, changes ({field: [old, new]})
incident_updated = Signal()
# kwargs: incident, alert (incidents.alerts.models.Alert), alert_name, labels (dict),
# created_incident (True when this alert declared the incident, False when it joined an
# open one, e.g. an alert storm). Sent by incidents.alerts inside the ingest transaction.
alert_received = Signal()
