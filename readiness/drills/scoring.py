"""How a drill went, measured against its severity's targets. Pure: no database access;
the selectors gather the moments, this module turns them into measures and findings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

ACKNOWLEDGE = "acknowledge"
RUNBOOK = "runbook"
FIRST_UPDATE = "first_update"
RESOLVE = "resolve"
MEASURES = (ACKNOWLEDGE, RUNBOOK, FIRST_UPDATE, RESOLVE)


@dataclass(frozen=True)
class DrillFacts:
    """What happened to the drill's incident, and what was expected of it."""

    triggered_at: datetime
    acknowledged_at: datetime | None
    first_update_at: datetime | None
    resolved_at: datetime | None
    ack_target: timedelta
    resolve_target: timedelta
    update_target: timedelta | None  # the status page deadline, else the update cadence
    runbook_title: str | None  # the runbook the responders should open, if one matched
    runbook_wanted: str | None  # the drill's own runbook, when one was named
    runbook_opened_at: datetime | None
    finished: bool  # the drill is over: what did not happen by now never will


@dataclass(frozen=True)
class Measure:
    key: str
    label: str
    target: timedelta | None
    actual: timedelta | None
    met: bool | None  # None: nothing to compare (no target, or still running)
    note: str = ""


@dataclass(frozen=True)
class ProposedFinding:
    measure: str
    title: str
    detail: str


def _after(start: datetime, moment: datetime | None) -> timedelta | None:
    return None if moment is None else moment - start


def _judge(actual: timedelta | None, target: timedelta | None, finished: bool) -> bool | None:
    if target is None:
        return None
    if actual is None:
        return False if finished else None
    return actual <= target


def duration_words(delta: timedelta | None) -> str:
    """``1 h 05 min``, ``4 min 30 s``, ``45 s``; an en dash for nothing."""
    if delta is None:
        return "–"
    seconds = max(int(delta.total_seconds()), 0)
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes:02d} min"
    if minutes:
        return f"{minutes} min {seconds:02d} s" if seconds else f"{minutes} min"
    return f"{seconds} s"


def drill_measures(facts: DrillFacts) -> list[Measure]:
    start, finished = facts.triggered_at, facts.finished
    ack = _after(start, facts.acknowledged_at)
    update = _after(start, facts.first_update_at)
    resolve = _after(start, facts.resolved_at)
    opened = _after(start, facts.runbook_opened_at)
    if facts.runbook_title is None:
        runbook = Measure(
            RUNBOOK,
            "Matched runbook opened",
            None,
            None,
            False if facts.runbook_wanted or finished else None,
            note="No runbook matched the alert."
            if facts.runbook_wanted is None
            else f"“{facts.runbook_wanted}” did not match the alert.",
        )
    else:
        runbook = Measure(
            RUNBOOK,
            "Matched runbook opened",
            None,
            opened,
            True if opened is not None else (False if finished else None),
            note=f"“{facts.runbook_title}”"
            + ("" if opened is not None else " was not opened from the incident."),
        )
    return [
        Measure(
            ACKNOWLEDGE,
            "Time to acknowledge",
            facts.ack_target,
            ack,
            _judge(ack, facts.ack_target, finished),
        ),
        runbook,
        Measure(
            FIRST_UPDATE,
            "Time to the first update",
            facts.update_target,
            update,
            _judge(update, facts.update_target, finished)
            if facts.update_target is not None
            else (False if finished and update is None else None),
            note="" if facts.update_target is not None else "The severity sets no update target.",
        ),
        Measure(
            RESOLVE,
            "Time to resolve",
            facts.resolve_target,
            resolve,
            _judge(resolve, facts.resolve_target, finished),
        ),
    ]


def drill_findings(measures: list[Measure]) -> list[ProposedFinding]:
    """One proposed finding per missed measure, in words a manager can act on."""
    found = []
    for m in measures:
        if m.met is not False:
            continue
        if m.key == RUNBOOK:
            title = (
                "Runbook not opened during the drill"
                if m.note.endswith("not opened from the incident.")
                else "No runbook matched the drill's alert"
            )
            detail = m.note
        elif m.actual is None:
            title = f"{m.label}: not done during the drill"
            detail = f"Target {duration_words(m.target)}." if m.target else "No update was posted."
        else:
            title = f"{m.label} missed the target"
            detail = f"Took {duration_words(m.actual)}; the target is {duration_words(m.target)}."
        found.append(ProposedFinding(m.key, title, detail))
    return found
