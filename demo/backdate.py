"""Moving what a service call wrote to the moment it stands for.

The demo replays months of incidents and postmortems through the real services, which
stamp every row they write with the present. After each call, the seeders give those rows
the moment the call stands for: the timestamp columns of the live rows, and the
``history_date`` (with the same columns) of the historical rows the call recorded.

This is the one place that writes tracked models with ``QuerySet.update()``: on purpose,
since a save would record one more history row, and the rows being corrected here are the
history itself.
"""

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db.models import Max, Model, QuerySet

HistoryMark = dict[type[Model], int]


def history_mark(*models: type[Model]) -> HistoryMark:
    """The newest history row of each model: what is recorded after this is new."""
    return {
        model: model.history.aggregate(newest=Max("history_id"))["newest"] or 0  # type: ignore[attr-defined]
        for model in models
    }


def backdate(
    rows: QuerySet, *, at: datetime, since: HistoryMark, fields: Iterable[str] = (), **values: Any
) -> None:
    """Set the timestamp ``fields`` of ``rows`` to ``at`` (and any other column to
    ``values``); the history rows recorded for them after ``since`` get ``history_date``
    ``at`` and the same values, where the history keeps those columns."""
    changes = {field: at for field in fields} | values
    model = rows.model
    pks = list(rows.values_list("pk", flat=True))
    if changes:
        model.objects.filter(pk__in=pks).update(**changes)
    history = model.history  # type: ignore[attr-defined]
    kept = {field.name for field in history.model._meta.fields}
    history.filter(history_id__gt=since[model], id__in=pks).update(
        history_date=at, **{name: value for name, value in changes.items() if name in kept}
    )
