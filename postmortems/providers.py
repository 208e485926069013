"""The figures this app supplies to the metrics API and page (incidents.metrics), as
providers registered from PostmortemsConfig.ready. Each takes the metrics scope (teams,
period, severity) and returns a ratio, or None when nothing is due in the period."""

from typing import Any

from postmortems import selectors


def _kwargs(scope: Any) -> dict[str, Any]:
    return {
        "teams": scope.team_ids,
        "since": scope.since,
        "until": scope.until,
        "severity": scope.severity,
    }


def postmortem_completion_rate(scope: Any) -> float | None:
    return selectors.postmortem_completion(**_kwargs(scope)).value


def action_item_completion_rate(scope: Any) -> float | None:
    return selectors.action_item_completion(**_kwargs(scope)).value
