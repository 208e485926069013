"""The audit log as CSV, written row by row (an export of a year does not sit in memory)."""

import csv
import json
from collections.abc import Iterable, Iterator

from django.db.models import QuerySet
from django.http import StreamingHttpResponse

from oncall.audit.models import AuditEvent

COLUMNS = [
    "at",
    "actor",
    "action",
    "team",
    "target_type",
    "target_id",
    "target",
    "source_address",
    "user_agent",
    "details",
]


class _Echo:
    def write(self, value: str) -> str:
        return value


def _cell(value: str) -> str:
    # A spreadsheet runs a cell that starts with = + - @ as a formula: quote it.
    if value and value[0] in "=+-@\t\r":
        return "'" + value
    return value


def audit_csv_lines(events: QuerySet[AuditEvent] | Iterable[AuditEvent]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(COLUMNS)
    iterator = events.iterator(chunk_size=1000) if isinstance(events, QuerySet) else events
    for event in iterator:
        yield writer.writerow(
            [
                event.at.isoformat(),
                _cell(event.actor_label),
                event.action,
                _cell(event.team.name if event.team_id else ""),
                event.target_type,
                _cell(event.target_id),
                _cell(event.target_label),
                event.source_address or "",
                _cell(event.user_agent),
                _cell(json.dumps(event.details, sort_keys=True)) if event.details else "",
            ]
        )


def audit_csv_response(events: QuerySet[AuditEvent], *, filename: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(audit_csv_lines(events), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
