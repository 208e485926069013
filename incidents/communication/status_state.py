"""Status-page states. Pure: plain values in, plain values out.

An open incident's state comes from its severity (SEV1 major outage, SEV2 partial
outage, SEV3 degraded performance, SEV4 and below operational) unless the incident
overrides it. A public service shows the worst state among its open incidents and an
active maintenance window (which ranks below any degradation).

The page never shows an incident's internal title: its public title, else a neutral
one naming the public services it affects (``neutral_title``)."""

from collections.abc import Iterable

from incidents.communication.models import StatusPageState

S = StatusPageState

ORDER: list[str] = list(S.values)  # best → worst

SEVERITY_LEVEL_STATE: dict[int, str] = {
    1: S.MAJOR_OUTAGE,
    2: S.PARTIAL_OUTAGE,
    3: S.DEGRADED_PERFORMANCE,
}


def incident_state(*, severity_level: int, override: str = "") -> str:
    if override:
        return override
    return SEVERITY_LEVEL_STATE.get(severity_level, S.OPERATIONAL)


def worst(states: Iterable[str]) -> str:
    return max(states, key=ORDER.index, default=S.OPERATIONAL)


def service_state(*, incident_states: Iterable[str], under_maintenance: bool) -> str:
    states = list(incident_states)
    if under_maintenance:
        states.append(S.UNDER_MAINTENANCE)
    return worst(states)


def _names(names: Iterable[str]) -> str:
    names = [n for n in names if n]
    if not names:
        return "our services"
    if len(names) == 1:
        return names[0]
    return ", ".join(names[:-1]) + " and " + names[-1]


def neutral_title(service_names: Iterable[str]) -> str:
    """ "Issue affecting Checkout and Search": what the status page calls an incident
    that has no public title."""
    return f"Issue affecting {_names(service_names)}"


def auto_publish_message(service_names: Iterable[str]) -> str:
    """The first public update of a team that publishes incidents as they are declared."""
    return f"Investigating an issue affecting {_names(service_names)}."
