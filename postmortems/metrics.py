"""Completion rates of postmortems and action items: pure functions over plain facts,
no database, so the metrics dashboard can reuse them on any period.

- postmortem completion rate = required postmortems published within their SLA
  ÷ required postmortems (due in the period);
- action item completion rate = items done by their due date ÷ items due in the period.

Items marked "won't do" are a decision, not a completion or a miss: they are left out
of both numerator and denominator. A rate with an empty denominator is ``None`` (no
data), not 0 or 100 %.
"""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class PostmortemFacts:
    required: bool
    due_at: datetime.datetime | None
    published_at: datetime.datetime | None


@dataclass(frozen=True)
class ActionItemFacts:
    due_date: datetime.date
    status: str
    completed_on: datetime.date | None  # the completion date in the team's reporting zone


@dataclass(frozen=True)
class Rate:
    numerator: int
    denominator: int

    @property
    def value(self) -> float | None:
        return None if self.denominator == 0 else self.numerator / self.denominator

    def as_dict(self) -> dict[str, float | int | None]:
        return {"numerator": self.numerator, "denominator": self.denominator, "rate": self.value}


def postmortem_completion_rate(postmortems: Iterable[PostmortemFacts]) -> Rate:
    required = [p for p in postmortems if p.required]
    on_time = sum(
        1
        for p in required
        if p.published_at is not None and p.due_at is not None and p.published_at <= p.due_at
    )
    return Rate(on_time, len(required))


def action_item_completion_rate(
    items: Iterable[ActionItemFacts], *, since: datetime.date, until: datetime.date
) -> Rate:
    """Items due in [since, until) — the end is exclusive."""
    due = [i for i in items if since <= i.due_date < until and i.status != "wont_do"]
    done = sum(
        1
        for i in due
        if i.status == "done" and i.completed_on is not None and i.completed_on <= i.due_date
    )
    return Rate(done, len(due))
