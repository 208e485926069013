"""Status-page states. Pure: plain values in, plain values out.

An open incident's state comes from its severity (SEV1 major outage, SEV2 partial
outage, SEV3 degraded performance, SEV4 and below operational) unless the incident
overrides it. A public service shows the worst state among its open incidents and an
active maintenance window (which ranks below any degradation)."""

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
