"""Which runbooks fit an incident, and how well. Pure: works on plain values.

A runbook matches when any of its matchers hits:

* ``alert:<name>``    the alert's name is one of the runbook's ``alert_names`` (score 8)
* ``labels:k=v,…``    every label pair of the runbook is among the alert's labels (score 4)
* ``service:<slug>``  the incident affects a service the runbook covers (score 2 each)
* ``keyword:<word>``  a title keyword appears in the incident's title (score 1 each)

The attachments are ordered by score, so the most specific runbook is shown first.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class RunbookFacts:
    id: int
    service_slugs: frozenset[str]
    alert_names: frozenset[str]
    labels: Mapping[str, str]
    title_keywords: tuple[str, ...]


@dataclass(frozen=True)
class IncidentFacts:
    title: str
    service_slugs: frozenset[str]
    alert_name: str | None = None
    labels: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Match:
    runbook_id: int
    score: int
    matched_by: tuple[str, ...]


def match(runbook: RunbookFacts, incident: IncidentFacts) -> Match | None:
    reasons: list[str] = []
    score = 0
    if incident.alert_name and incident.alert_name in runbook.alert_names:
        reasons.append(f"alert:{incident.alert_name}")
        score += 8
    if runbook.labels and all(
        str(incident.labels.get(key)) == str(value) for key, value in runbook.labels.items()
    ):
        pairs = ",".join(f"{k}={v}" for k, v in sorted(runbook.labels.items()))
        reasons.append(f"labels:{pairs}")
        score += 4
    for slug in sorted(runbook.service_slugs & incident.service_slugs):
        reasons.append(f"service:{slug}")
        score += 2
    title = incident.title.lower()
    for keyword in runbook.title_keywords:
        word = keyword.strip().lower()
        if word and word in title:
            reasons.append(f"keyword:{word}")
            score += 1
    if not reasons:
        return None
    return Match(runbook_id=runbook.id, score=score, matched_by=tuple(reasons))


def rank(runbooks: Iterable[RunbookFacts], incident: IncidentFacts) -> list[Match]:
    matches = [m for m in (match(r, incident) for r in runbooks) if m is not None]
    return sorted(matches, key=lambda m: (-m.score, m.runbook_id))


def coverage(
    *,
    services: Iterable[str],
    alert_names: Iterable[str],
    runbooks: Iterable[RunbookFacts],
) -> dict[str, list[dict]]:
    """For each service slug and alert name, the runbooks that would match it."""
    runbooks = list(runbooks)
    return {
        "services": [
            {
                "service": slug,
                "runbooks": [r.id for r in runbooks if slug in r.service_slugs],
            }
            for slug in services
        ],
        "alert_names": [
            {
                "alert_name": name,
                "runbooks": [r.id for r in runbooks if name in r.alert_names],
            }
            for name in sorted(set(alert_names))
        ],
    }
