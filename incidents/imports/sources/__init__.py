"""The sources an import can read, by name.

Each source is a module with one function::

    def bundle_read(*, token: str, base_url: str = "", team_ids: tuple[str, ...] = (),
                    now: datetime.datetime) -> Bundle

``token``: the source's API credential; ``base_url``: "" for the source's public API, or
another address (a region, a self-hosted install, a stand-in in tests); ``team_ids``: the
source's team ids to limit the read to (empty: everything the token can see); ``now``:
the instant the read counts from (overrides in the past are not read). It raises
``SourceError`` (from ``incidents.imports.sources.errors``) with a readable message when
the source cannot be read (bad token, unreachable address).

Modules are imported only when asked for, so a source that is not installed yet does not
stop the others.
"""

from collections.abc import Callable
from importlib import import_module
from typing import Any

from incidents.imports.sources.errors import SourceError

SOURCES: dict[str, str] = {
    "pagerduty": "incidents.imports.sources.pagerduty",
    "opsgenie": "incidents.imports.sources.opsgenie",
    "grafana-oncall": "incidents.imports.sources.grafana_oncall",
}

SOURCE_LABELS: dict[str, str] = {
    "pagerduty": "PagerDuty",
    "opsgenie": "Opsgenie",
    "grafana-oncall": "Grafana OnCall",
}


# Where the command looks for a source's credential when --token is not given.
TOKEN_ENV: dict[str, str] = {
    "pagerduty": "PAGERDUTY_API_TOKEN",
    "opsgenie": "OPSGENIE_API_KEY",
    "grafana-oncall": "GRAFANA_ONCALL_API_TOKEN",
}


def source_reader(name: str) -> Callable[..., Any]:
    """The ``bundle_read`` function of source ``name``; SourceError when it is unknown
    or not available."""
    module_name = SOURCES.get(name)
    if module_name is None:
        raise SourceError(f"Unknown source {name!r}; expected one of {', '.join(SOURCES)}.")
    try:
        module = import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name != module_name:
            raise
        raise SourceError(f"The {SOURCE_LABELS[name]} importer is not available yet.") from None
    reader: Callable[..., Any] = module.bundle_read
    return reader


__all__ = ["SOURCES", "SOURCE_LABELS", "TOKEN_ENV", "SourceError", "source_reader"]
