"""The public services of this room; each submodule holds one concern."""

from postmortems.services.action_items import (
    action_item_create,
    action_item_set_status,
    action_item_update,
)
from postmortems.services.common import (
    ACTION_ITEM_EDITABLE_FIELDS,
    ACTION_ITEM_TRANSITIONS,
    AS,
    EDITABLE_FIELDS,
    NUMBER_FIELDS,
    POSTMORTEM_TRANSITIONS,
    PS,
    TEXT_FIELDS,
    UNPUBLISHED,
)
from postmortems.services.drafts import (
    postmortem_create_for_incident,
    postmortem_on_incident_resolved,
)
from postmortems.services.editing import ROW_SPECS, postmortem_update
from postmortems.services.review import (
    postmortem_publish,
    postmortem_publish_problems,
    postmortem_request_changes,
    postmortem_submit,
)
from postmortems.services.sla import (
    action_item_remind_overdue,
    notification_deliver_pending,
    postmortem_enforce_sla,
)

__all__ = [
    "ACTION_ITEM_EDITABLE_FIELDS",
    "ACTION_ITEM_TRANSITIONS",
    "AS",
    "EDITABLE_FIELDS",
    "NUMBER_FIELDS",
    "POSTMORTEM_TRANSITIONS",
    "PS",
    "ROW_SPECS",
    "TEXT_FIELDS",
    "UNPUBLISHED",
    "action_item_create",
    "action_item_remind_overdue",
    "action_item_set_status",
    "action_item_update",
    "notification_deliver_pending",
    "postmortem_create_for_incident",
    "postmortem_enforce_sla",
    "postmortem_on_incident_resolved",
    "postmortem_publish",
    "postmortem_publish_problems",
    "postmortem_request_changes",
    "postmortem_submit",
    "postmortem_update",
]
