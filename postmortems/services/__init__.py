"""Every write to postmortems and action items goes through these services, one module
per concern:

- ``drafts``: the draft created when an incident is resolved, kept in step when it is
  resolved again;
- ``editing``: sections, figures, people and the timeline, whys and contributing
  factors (whole lists, or one row at a time); amendments once published;
- ``review``: submit, request changes, publish (with the blameless check);
- ``action_items``: create, edit, move through their statuses, remove one added by mistake;
- ``sla``: the postmortem SLA and overdue action items, run by beat, and the e-mails;
- ``common``: the helpers they share.

Each public function runs in ``transaction.atomic``, locks the row it changes with
``select_for_update``, saves with ``update_fields`` (so django-simple-history records who
changed what) and checks that the actor belongs to the incident's team (``actor`` None is
the system: a signal receiver or a beat task). Callers import this package
(``from postmortems import services``); what it exports is the public API.
"""

from postmortems.services.action_items import (
    ACTION_ITEM_EDITABLE_FIELDS,
    ACTION_ITEM_TRANSITIONS,
    action_item_create,
    action_item_remove,
    action_item_set_status,
    action_item_update,
)
from postmortems.services.drafts import (
    postmortem_create_for_incident,
    postmortem_on_incident_resolved,
)
from postmortems.services.editing import (
    EDITABLE_FIELDS,
    ROW_SPECS,
    postmortem_row_remove,
    postmortem_row_save,
    postmortem_update,
)
from postmortems.services.review import (
    postmortem_publish,
    postmortem_publish_problems,
    postmortem_request_changes,
    postmortem_submit,
)
from postmortems.services.sla import (
    action_item_remind_overdue,
    postmortem_enforce_sla,
)

__all__ = [
    "ACTION_ITEM_EDITABLE_FIELDS",
    "ACTION_ITEM_TRANSITIONS",
    "EDITABLE_FIELDS",
    "ROW_SPECS",
    "action_item_create",
    "action_item_remind_overdue",
    "action_item_remove",
    "action_item_set_status",
    "action_item_update",
    "postmortem_create_for_incident",
    "postmortem_enforce_sla",
    "postmortem_on_incident_resolved",
    "postmortem_publish",
    "postmortem_publish_problems",
    "postmortem_request_changes",
    "postmortem_row_remove",
    "postmortem_row_save",
    "postmortem_submit",
    "postmortem_update",
]
