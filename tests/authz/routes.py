"""What the matrix test walks: every named route of the URL configuration, the (path,
method) pairs of the OpenAPI schema, and how to fill a route's path from the world's rows
and send one request as one actor, classified."""

import re
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.shortcuts import resolve_url
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse

OWN_NAMESPACES = ("web", "api", "ingest", "feeds")


def named_routes() -> dict[str, URLPattern]:
    """Every named route of ours and of the admin, by fully-qualified name."""
    found: dict[str, URLPattern] = {}

    def walk(resolver: URLResolver, namespace: str) -> None:
        for entry in resolver.url_patterns:
            if isinstance(entry, URLResolver):
                inner = namespace
                if entry.namespace:
                    inner = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
                walk(entry, inner)
            elif isinstance(entry, URLPattern) and entry.name and namespace:
                found[f"{namespace}:{entry.name}"] = entry

    walk(get_resolver(), "")
    return found


def schema_operations() -> set[tuple[str, str]]:
    """(route name, METHOD) for every operation the OpenAPI schema documents."""
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    operations = set()
    for path, methods in schema["paths"].items():
        # Any number stands in for the parameters: only which route answers matters here.
        name = resolve(re.sub(r"\{[^}]+\}", "1", path)).view_name
        for method in methods:
            if method in ("get", "post", "put", "patch", "delete"):
                operations.add((name, method.upper()))
    return operations


# Which row a route's ``pk`` names, by the longest route-name prefix.
PK_ROWS = {
    "api:team": "team",
    "api:schedule": "schedule",
    "api:escalation-policy": "policy",
    "api:contact-method": "contact_method",
    "api:notification-rule": "notification_rule",
    "api:severity": "severity",
    "api:service": "service",
    "api:incident": "incident",
    "api:integration": "integration",
    "api:alert": "alert",
    "api:heartbeat": "heartbeat",
    "api:pagerduty-mirror": "mirror",
    "api:runbook": "runbook",
    "api:postmortem": "postmortem",
    "api:action-item": "action_item",
    "api:drill": "drill",
    "api:token": "token",
}

# Other path parameters, by name (a route may override in ``ROUTE_KWARGS``).
KWARG_ROWS = {
    "incident_id": "incident",
    "item_id": "action_item",
    "postmortem_id": "postmortem",
    "row_id": "why",
    "schedule_id": "schedule",
    "override_id": "override",
    "team_id": "team",
    "policy_id": "policy",
    "runbook_id": "runbook",
    "attachment_id": "attachment",
    "integration_id": "integration",
    "method_id": "contact_method",
    "invitation_id": "invitation",
    "token_id": "token",
    "drill_id": "drill",
    "finding_id": "finding",
    "user_id": "member",
}


# How a page words a refusal (``AccessDenied``: "Only managers of team ... can ..."), told
# apart from a form's validation message, which means the permission check passed.
REFUSAL = re.compile(r"^Only |permission|not allowed", re.IGNORECASE)


@dataclass(frozen=True)
class Outcome:
    status: int
    login_redirect: bool = False
    # A page's refusal: a redirect back carrying an error message (the pages' way to say
    # "only managers can ..."), told apart from a success redirect.
    error_message: str = ""
    # The fields a 400 names (``errors`` of the API's error body).
    error_fields: frozenset = frozenset()

    @property
    def kind(self) -> str:
        if self.status >= 500:
            return "error"
        if self.login_redirect or self.status in (401, 403, 404) or self.error_message:
            return "denied"
        return "allowed"

    def __str__(self) -> str:
        text = str(self.status)
        if self.login_redirect:
            text += " (to sign-in)"
        if self.error_message:
            text += f" ({self.error_message[:60]!r})"
        if self.error_fields:
            text += f" {sorted(self.error_fields)}"
        return text


def row_id(world, key: str):
    if key == "team":
        return world.team.pk
    if key == "member":
        return world.member.pk
    if key == "severity":
        from incidents.models import Severity

        return Severity.objects.get(name="SEV2").pk
    return world.rows[key].pk


def route_kwargs(world, name: str, pattern: URLPattern, overrides: dict) -> dict:
    params = list(pattern.pattern.converters) or list(
        re.findall(r"\(\?P<(\w+)>", str(pattern.pattern))
    )
    kwargs = {}
    for param in params:
        if param in overrides:
            value = overrides[param]
            kwargs[param] = value(world) if callable(value) else value
        elif param == "pk":
            prefix = max((p for p in PK_ROWS if name.startswith(p)), key=len)
            kwargs[param] = row_id(world, PK_ROWS[prefix])
        elif param in KWARG_ROWS:
            kwargs[param] = row_id(world, KWARG_ROWS[param])
        else:
            raise LookupError(f"{name}: no value for the path parameter {param!r}")
    return kwargs


def url_for(world, name: str, overrides: dict) -> str:
    pattern = named_routes()[name]
    return reverse(name, kwargs=route_kwargs(world, name, pattern, overrides))


def client_for(user) -> Client:
    client = Client(raise_request_exception=False)
    if user is not None:
        client.force_login(user)
    return client


def send(client: Client, method: str, url: str, *, data=None, form=None, headers=None) -> Outcome:
    """One request whose writes are rolled back, so the next actor sees the same world.
    ``form``: a page's form fields, sent as a browser would."""
    is_api = url.startswith("/api/") or not url.endswith("/")
    with transaction.atomic():
        if form is not None:
            response = client.post(url, form)
        elif method == "GET":
            response = client.get(url, headers=headers or {})
        elif is_api or data is not None:
            response = client.generic(
                method,
                url,
                data=__import__("json").dumps(data or {}),
                content_type="application/json",
                headers=headers or {},
            )
        else:
            response = client.generic(
                method, url, data="", content_type="application/x-www-form-urlencoded"
            )
        transaction.set_rollback(True)
    return classify(response)


def classify(response) -> Outcome:
    from django.contrib import messages

    location = response.get("Location", "") if response.status_code in (301, 302) else ""
    error_message = ""
    if location:
        storage = getattr(response.wsgi_request, "_messages", None)
        queued = getattr(storage, "_queued_messages", [])
        error_message = next(
            (str(m) for m in queued if m.level >= messages.ERROR and REFUSAL.search(str(m))),
            "",
        )
    fields: frozenset = frozenset()
    if response.status_code == 400 and "json" in response.get("Content-Type", ""):
        try:
            errors = response.json().get("errors") or {}
            fields = frozenset(errors.keys() if isinstance(errors, dict) else ())
        except (ValueError, AttributeError):
            pass
    return Outcome(
        response.status_code,
        location.startswith(resolve_url(settings.LOGIN_URL)),
        error_message,
        fields,
    )
