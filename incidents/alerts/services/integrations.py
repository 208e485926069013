"""Integrations, where monitoring tools send events: create, update, rotate the routing
key, and find the integration of a key. Only team managers change them. The key itself
is never stored, only its SHA-256 digest (``routing_key_hash``); it is shown once, when
created or rotated."""

import secrets
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from common.errors import Conflict, InvalidInput
from common.history import attribute_history, save_changed
from common.jsontext import unstorable_text
from incidents.alerts.models import Integration, IntegrationKind, routing_key_hash
from incidents.models import Service, Severity
from oncall.audit.models import AuditAction
from oncall.audit.services import audit_record
from oncall.teams.models import Team
from oncall.teams.services import team_require_manager

INTEGRATION_FIELDS = (
    "name",
    "service",
    "enabled",
    "severity_mapping",
    "default_severity",
    "auto_resolve",
    "rate_limit_per_minute",
    "storm_threshold_per_minute",
    "title_path",
    "dedup_key_path",
    "severity_path",
    "resolve_path",
    "resolve_value",
)


def _new_routing_key() -> str:
    # 32 characters, like PagerDuty's integration keys (some clients check the length).
    return secrets.token_hex(16)


def severity_source_key(source_severity: str) -> str:
    """How a source's severity word is compared: trimmed and lower-cased, so a mapping
    written ``P1`` or ``CRITICAL`` matches ``p1`` or ``critical`` from the sender."""
    return source_severity.strip().lower()


def severity_mapping_normalise(mapping: dict[str, str]) -> tuple[dict[str, str], list[str]]:
    """The mapping with its keys as ``severity_source_key`` makes them, and the problems
    that make it unusable: a blank key, text that cannot be stored, or two keys that become
    one but map to different severities."""
    normalised: dict[str, str] = {}
    problems: list[str] = []
    unstorable = unstorable_text(mapping)
    if unstorable:
        return {}, [unstorable]
    for key, value in mapping.items():
        source = severity_source_key(key)
        if not source:
            problems.append("A source severity cannot be blank.")
        elif normalised.get(source, value) != value:
            problems.append(
                f"{key!r} and another key are the same severity ({source!r}) once case and "
                "spaces are ignored, but map to different severities."
            )
        else:
            normalised[source] = value.strip()
    return normalised, problems


def _validate_integration(team: Team, fields: dict[str, Any]) -> None:
    """Checks the fields, and normalises ``severity_mapping`` in place."""
    errors: dict[str, list[str]] = {}
    service = fields.get("service")
    if isinstance(service, Service) and service.team_id != team.pk:
        errors["service"] = ["The service must belong to the integration's team."]
    names = set(Severity.objects.values_list("name", flat=True))
    mapping = fields.get("severity_mapping")
    if mapping is not None:
        if not isinstance(mapping, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in mapping.items()
        ):
            errors["severity_mapping"] = ['Must map source severities to names, e.g. "SEV1".']
        else:
            normalised, problems = severity_mapping_normalise(mapping)
            unknown = sorted({v for v in mapping.values() if v not in names})
            problems += [f"Unknown severity {name!r}." for name in unknown]
            if problems:
                errors["severity_mapping"] = problems
            else:
                fields["severity_mapping"] = normalised
    default = fields.get("default_severity")
    if default is not None and default not in names:
        errors["default_severity"] = [f"Unknown severity {default!r}."]
    if fields.get("resolve_path") and not fields.get("resolve_value", "x"):
        errors["resolve_value"] = ["Needed with resolve_path (the value that means resolved)."]
    if errors:
        raise InvalidInput("Invalid integration settings.", errors=errors)


@transaction.atomic
def integration_create(
    *,
    actor: AbstractBaseUser | None,
    team: Team,
    name: str,
    kind: str,
    **fields: Any,
) -> tuple[Integration, str]:
    """Create an integration; returns it with its routing key (shown this once)."""
    team_require_manager(actor=actor, team=team, to="manage its integrations")
    if kind not in IntegrationKind.values:
        raise InvalidInput(
            f"Unknown integration kind {kind!r}.",
            errors={"kind": [f"Choose one of {', '.join(IntegrationKind.values)}."]},
        )
    unknown = sorted(set(fields) - set(INTEGRATION_FIELDS))
    if unknown:
        raise InvalidInput("Unknown fields.", errors={k: ["Unknown field."] for k in unknown})
    name = name.strip()
    _validate_integration(team, fields)
    if Integration.objects.filter(team=team, name=name).exists():
        raise Conflict(
            f"Team {team.name} already has an integration named {name!r}.",
            errors={"name": ["Already used in this team."]},
        )
    key = _new_routing_key()
    integration = Integration(
        team=team,
        name=name,
        kind=kind,
        routing_key_hash=routing_key_hash(key),
        routing_key_hint=key[:6],
        **fields,
    )
    attribute_history(integration, actor).save()
    return integration, key


@transaction.atomic
def integration_update(
    *, actor: AbstractBaseUser | None, integration: Integration, **fields: Any
) -> Integration:
    locked = Integration.objects.select_for_update().select_related("team").get(pk=integration.pk)
    team_require_manager(actor=actor, team=locked.team, to="manage its integrations")
    unknown = sorted(set(fields) - set(INTEGRATION_FIELDS))
    if unknown:
        raise InvalidInput("Unknown fields.", errors={k: ["Not editable."] for k in unknown})
    _validate_integration(locked.team, fields)
    if "name" in fields:
        fields["name"] = fields["name"].strip()
        if (
            Integration.objects.filter(team=locked.team, name=fields["name"])
            .exclude(pk=locked.pk)
            .exists()
        ):
            raise Conflict(
                "Another integration of this team has that name.",
                errors={"name": ["Already used in this team."]},
            )
    save_changed(locked, actor, fields)
    return locked


@transaction.atomic
def integration_rotate_key(
    *, actor: AbstractBaseUser | None, integration: Integration
) -> tuple[Integration, str]:
    """Replace the routing key; the old one stops working at once."""
    locked = Integration.objects.select_for_update().select_related("team").get(pk=integration.pk)
    team_require_manager(actor=actor, team=locked.team, to="manage its integrations")
    key = _new_routing_key()
    locked.routing_key_hash = routing_key_hash(key)
    locked.routing_key_hint = key[:6]
    attribute_history(locked, actor).save(update_fields=["routing_key_hash", "routing_key_hint"])
    audit_record(
        action=AuditAction.INTEGRATION_KEY_ROTATED, actor=actor, team=locked.team, target=locked
    )
    return locked, key


def integration_by_routing_key(routing_key: str) -> Integration | None:
    """The enabled integration with that key (one indexed lookup on its digest)."""
    if not isinstance(routing_key, str) or not routing_key or len(routing_key) > 200:
        return None
    # No ordering (the default one, team name then name, would add a join and a sort)
    # and no team: most events are repeats, which do not need it; a new incident loads it.
    found = list(
        Integration.objects.filter(
            routing_key_hash=routing_key_hash(routing_key), enabled=True
        ).order_by()[:1]
    )
    return found[0] if found else None


def integration_url(integration: Integration, routing_key: str | None) -> str | None:
    """The address to configure in the sending tool (needs the key for keyed URLs)."""
    if integration.kind == IntegrationKind.EVENTS_V2:
        # PagerDuty clients take the base URL and post to /v2/enqueue themselves.
        return f"{settings.SITE_URL}/v2/enqueue"
    if routing_key is None:
        return None
    suffix = "alertmanager" if integration.kind == IntegrationKind.ALERTMANAGER else "webhook"
    return f"{settings.SITE_URL}/api/v1/integrations/{routing_key}/{suffix}/"
