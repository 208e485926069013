"""Every write that changes an incident goes through this package, one module per
concern: ``declare`` (incident_create, idempotent declaration), ``lifecycle`` (the
status transitions), ``edits`` (fields, roles, notes), ``catalog`` (services) and
``common`` (the lock and the timeline event every write shares).

Each public function runs in ``transaction.atomic``, locks the incident row with
``select_for_update``, records a timeline event with old and new values, and leaves
outside effects to receivers of ``incidents.signals`` (which use ``on_commit``).
"""

from incidents.services.catalog import (
    service_create,
    service_update,
    services_require_in_team,
    severity_update,
)
from incidents.services.common import (
    incident_lock,
    incident_roles_require_in_team,
    timeline_event_create,
)
from incidents.services.declare import (
    idempotency_request_hash,
    incident_create,
    incident_create_idempotent,
)
from incidents.services.edits import (
    EDITABLE_FIELDS,
    ROLE_FIELDS,
    incident_add_note,
    incident_update,
)
from incidents.services.lifecycle import (
    ALLOWED_TRANSITIONS,
    REOPEN_TARGET,
    incident_acknowledge,
    incident_reopen,
    incident_resolve,
    incident_set_status,
    incident_transition,
)

__all__ = [
    "ALLOWED_TRANSITIONS",
    "EDITABLE_FIELDS",
    "REOPEN_TARGET",
    "ROLE_FIELDS",
    "idempotency_request_hash",
    "incident_acknowledge",
    "incident_add_note",
    "incident_create",
    "incident_create_idempotent",
    "incident_lock",
    "incident_reopen",
    "incident_resolve",
    "incident_roles_require_in_team",
    "incident_set_status",
    "incident_transition",
    "incident_update",
    "service_create",
    "service_update",
    "services_require_in_team",
    "severity_update",
    "timeline_event_create",
]
