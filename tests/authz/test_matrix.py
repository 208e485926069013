"""The authorization matrix: every route and method answers each kind of person as
``tests/authz/matrix.py`` documents, and a route added without an entry fails here."""

import json

import pytest
from django.conf import settings
from django.db import transaction
from django.shortcuts import resolve_url
from django.test import override_settings
from django.urls import reverse

from tests.authz import routes
from tests.authz.matrix import ACTORS, MATRIX, POLICIES, SPECIAL_POLICIES, Entry
from tests.authz.world import build_world

pytestmark = pytest.mark.django_db

# Third-party routes at the root (allauth's ``account_*``) are not ours to document; the
# admin is one entry checked on a sample.
NON_API_METHODS = ("GET", "POST")


def _entry_id(key):
    return f"{key[0]}:{key[1]}"


def test_every_route_has_a_matrix_entry():
    named = routes.named_routes()
    ours = {name for name in named if name.split(":")[0] in routes.OWN_NAMESPACES}
    operations = routes.schema_operations()
    listed_names = {name for name, _ in MATRIX}

    missing_routes = sorted(ours - listed_names)
    missing_operations = sorted(
        f"{name} {method}" for name, method in operations if (name, method) not in MATRIX
    )
    undocumented = sorted(
        f"{name} {method}"
        for name, method in MATRIX
        if name.startswith("api:")
        and name not in ("api:schema", "api:docs")  # the schema does not describe itself
        and (name, method) not in operations
    )
    unknown_policies = sorted(
        f"{name} {method}: {entry.policy}"
        for (name, method), entry in MATRIX.items()
        if entry.policy not in POLICIES and entry.policy not in SPECIAL_POLICIES
    )
    gone = sorted(name for name in listed_names if name != "admin:*" and name not in named)
    assert ("admin:*", "GET") in MATRIX, "the admin's entry (checked on a sample)"
    assert unknown_policies == [], f"entries naming no known policy: {unknown_policies}"
    assert missing_routes == [], f"routes without a matrix entry: {missing_routes}"
    assert missing_operations == [], f"schema operations without an entry: {missing_operations}"
    assert undocumented == [], f"entries for API methods the schema does not have: {undocumented}"
    assert gone == [], f"matrix entries whose route no longer exists: {gone}"


def _ordinary():
    return sorted((key for key, entry in MATRIX.items() if entry.policy in POLICIES), key=_entry_id)


def _params(keys):
    marks = []
    for key in keys:
        entry = MATRIX[key]
        extra = [pytest.mark.xfail(strict=True, reason=entry.xfail)] if entry.xfail else []
        marks.append(pytest.param(key, id=_entry_id(key), marks=extra))
    return marks


def _value(value, world):
    return value(world) if callable(value) else value


def _url(world, name: str, entry: Entry) -> str:
    url = routes.url_for(world, name, entry.kwargs)
    query = _value(entry.query, world)
    return f"{url}?{query}" if query else url


@pytest.fixture
def world():
    return build_world()


@pytest.fixture
def clients(world):
    return {actor: routes.client_for(user) for actor, user in world.actors().items()}


def _kind(outcome, entry: Entry) -> str:
    if entry.denied_by_field and entry.denied_by_field in outcome.error_fields:
        return "denied"
    return outcome.kind


@pytest.mark.parametrize("key", _params(_ordinary()))
def test_route_answers_as_documented(world, clients, key):
    name, method = key
    entry = MATRIX[key]
    if entry.skip_reason:
        pytest.skip(entry.skip_reason)
    url = _url(world, name, entry)
    body, form = _value(entry.body, world), _value(entry.form, world)
    expected = POLICIES[entry.policy]
    got = {
        actor: routes.send(clients[actor], method, url, data=body, form=form) for actor in ACTORS
    }
    table = ", ".join(f"{actor} {outcome}" for actor, outcome in got.items())
    assert all(o.kind != "error" for o in got.values()), f"{method} {url}: a 5xx ({table})"
    wrong = {a: str(o) for a, o in got.items() if _kind(o, entry) != expected[a]}
    assert wrong == {}, f"{method} {url} ({entry.policy}): {table}"


def _non_api_routes():
    names = sorted({name for name, _ in MATRIX if not name.startswith(("api:", "admin:"))})
    return [
        pytest.param((name, method), id=f"{name}:{method}")
        for name in names
        for method in NON_API_METHODS
        if (name, method) not in MATRIX
    ]


@pytest.mark.parametrize("key", _non_api_routes())
def test_unlisted_methods_are_refused(world, clients, key):
    """Pages and machine endpoints have no schema: a method the matrix leaves out must be
    one the view refuses, so nothing answers unlisted."""
    name, method = key
    entry = next(e for (n, _), e in MATRIX.items() if n == name)
    url = _url(world, name, entry)
    for actor in ("member", "staff"):
        outcome = routes.send(clients[actor], method, url)
        assert outcome.status == 405, f"{method} {url} as {actor}: {outcome}, not in the matrix"


# --- KEYED: the routing key (or GenieKey) is the credential ---


def _keyed_request(world, name, key):
    """(url, body, headers) for a keyed endpoint presenting ``key`` (None: no key)."""
    entry = MATRIX[(name, "POST")] if (name, "POST") in MATRIX else MATRIX[(name, "GET")]
    headers = {}
    if name.startswith("api:integration-"):
        kwargs = {"routing_key": key or "-"}
        return reverse(name, kwargs=kwargs), {"alerts": [], "status": "firing"}, headers
    url = routes.url_for(world, name, entry.kwargs)
    if name.startswith("ingest:opsgenie"):
        if key:
            headers["Authorization"] = f"GenieKey {key}"
        return url, {"message": "Disk full"}, headers
    if name.startswith("ingest:events-v2"):
        body = {
            "event_action": "trigger",
            "payload": {"summary": "Disk full", "source": "db-1", "severity": "critical"},
        }
        key_field = "routing_key"
    elif name.startswith("ingest:change-events"):
        body = {"payload": {"summary": "Deploy 43", "source": "ci"}}
        key_field = "routing_key"
    else:
        body = {"event_type": "trigger", "description": "Disk full"}
        key_field = "service_key"
    if key:
        body[key_field] = key
    return url, body, headers


def _team_rows(world):
    from incidents.alerts.models import Alert, ChangeEvent, HeartbeatMonitor
    from incidents.models import Incident

    team = world.team
    return (
        sorted((i.pk, i.updated_at, i.status) for i in Incident.objects.filter(team=team)),
        sorted((h.pk, h.last_ping_at) for h in HeartbeatMonitor.objects.filter(team=team)),
        Alert.objects.filter(integration__team=team).count(),
        ChangeEvent.objects.filter(integration__team=team).count(),
        sorted(
            (a.pk, a.count, a.status, a.last_seen)
            for a in Alert.objects.filter(integration__team=team)
        ),
    )


def _keyed():
    return sorted((key for key, entry in MATRIX.items() if entry.policy == "KEYED"), key=_entry_id)


@pytest.mark.parametrize("key", _params(_keyed()))
def test_keyed_endpoint_answers_only_to_its_key(world, clients, key):
    name, method = key
    before = _team_rows(world)
    for actor in ("anonymous", "outsider"):
        client = clients[actor]
        for presented in (None, "not-a-key-of-ours"):
            url, body, headers = _keyed_request(world, name, presented)
            outcome = routes.send(client, method, url, data=body, headers=headers)
            assert 400 <= outcome.status < 500, f"{actor}, key {presented!r}: {outcome}"
        url, body, headers = _keyed_request(world, name, world.keys["other_team"])
        outcome = routes.send(client, method, url, data=body, headers=headers)
        assert outcome.status < 500, f"{actor}, the other team's key: {outcome}"
    # The other team's key again, its writes kept this time: Payments' rows are as before
    # (an alert action or a heartbeat ping naming Payments' alert or monitor finds nothing).
    url, body, headers = _keyed_request(world, name, world.keys["other_team"])
    with transaction.atomic():
        response = clients["anonymous"].generic(
            method, url, json.dumps(body), content_type="application/json", headers=headers
        )
    if name in ("ingest:opsgenie-alert-action", "ingest:opsgenie-heartbeat-ping"):
        assert response.status_code == 404, response.status_code
    assert _team_rows(world) == before
    url, body, headers = _keyed_request(world, name, world.keys["team"])
    outcome = routes.send(clients["anonymous"], method, url, data=body, headers=headers)
    assert outcome.kind == "allowed", f"Payments' own key: {outcome}"


# --- BEARER, TOKEN_URL wrong tokens, ADMIN ---


def test_prometheus_scrape_needs_its_bearer_token(world, clients):
    url = reverse("ingest:prometheus-metrics")
    for client in clients.values():
        assert routes.send(client, "GET", url).status == 404  # disabled without a token
    with override_settings(METRICS_TOKEN="scrape-secret"):
        for actor, client in clients.items():
            assert routes.send(client, "GET", url).status == 401, actor
            wrong = {"Authorization": "Bearer guessed"}
            assert routes.send(client, "GET", url, headers=wrong).status == 401, actor
        right = {"Authorization": "Bearer scrape-secret"}
        assert routes.send(clients["anonymous"], "GET", url, headers=right).status == 200


@pytest.mark.parametrize(
    "key",
    sorted(key for key, entry in MATRIX.items() if entry.policy == "TOKEN_URL" and key[1] == "GET"),
    ids=_entry_id,
)
def test_token_url_with_a_wrong_token_is_not_found(world, clients, key):
    name, method = key
    pattern = routes.named_routes()[name]
    kwargs = routes.route_kwargs(world, name, pattern, MATRIX[key].kwargs)
    kwargs["token"] = "a-guessed-token"
    outcome = routes.send(clients["anonymous"], method, reverse(name, kwargs=kwargs))
    assert outcome.kind == "denied" and outcome.status != 500, outcome


ADMIN_SAMPLE = (
    "admin:index",
    "admin:incidents_incident_changelist",
    "admin:oncall_team_changelist",
)


@pytest.mark.parametrize("name", ADMIN_SAMPLE)
def test_admin_answers_staff_only(world, clients, name):
    """The admin's own sign-in forwards to the site's: anonymous goes to the sign-in page;
    a signed-in person who is not staff gets the admin's login page (no data), staff 200."""
    url = reverse(name)
    anonymous = clients["anonymous"].get(url)
    assert anonymous.status_code == 302, anonymous.status_code
    assert anonymous["Location"].startswith(
        (reverse("admin:login"), resolve_url(settings.LOGIN_URL))
    ), anonymous["Location"]
    for actor in ("outsider", "member", "manager"):
        response = clients[actor].get(url)
        assert response.status_code == 302, (actor, response.status_code)
        assert response["Location"].startswith(reverse("admin:login")), (actor, response)
    assert routes.send(clients["staff"], "GET", url).status == 200


# --- the outsider's writes never reach Payments' rows ---


def _payments_state(world):
    from incidents.models import Incident
    from oncall.policies.models import EscalationPolicy
    from oncall.schedules.models import Schedule, ScheduleOverride

    team = world.team
    return {
        "incidents": sorted(
            (i.pk, i.updated_at, i.status) for i in Incident.objects.filter(team=team)
        ),
        # Schedules and policies have no updated_at: their history rows say if they changed.
        "schedules": sorted(
            (s.pk, s.name, s.ical_token, s.history.count())
            for s in Schedule.objects.filter(team=team)
        ),
        "overrides": ScheduleOverride.objects.filter(schedule__team=team).count(),
        "policies": sorted(
            (p.pk, p.name, p.repeat, p.history.count())
            for p in EscalationPolicy.objects.filter(team=team)
        ),
    }


def test_outsider_writes_never_change_another_teams_rows(world, clients):
    """Every write the matrix lists, sent by the outsider with its writes KEPT (no
    rollback), one after another: Payments' incidents, schedules and policies are as
    before. The answers themselves are checked above; here the database is."""
    before = _payments_state(world)
    client = clients["outsider"]
    for (name, method), entry in sorted(MATRIX.items()):
        # A token in the URL is the credential (an invitation accepted by whoever holds it
        # makes them a member): those are not the outsider's writes.
        if method == "GET" or entry.policy in ("TOKEN_URL",) or entry.policy not in POLICIES:
            continue
        if entry.skip_reason:
            continue
        url = _url(world, name, entry)
        body, form = _value(entry.body, world), _value(entry.form, world)
        with transaction.atomic():  # a savepoint, kept: a failed statement stays contained
            if form is not None:
                response = client.post(url, form)
            elif url.startswith("/api/") or body is not None:
                response = client.generic(
                    method, url, json.dumps(body or {}), content_type="application/json"
                )
            else:
                response = client.generic(
                    method, url, "", content_type="application/x-www-form-urlencoded"
                )
        assert response.status_code < 500, f"{method} {url}: {response.status_code}"
    assert _payments_state(world) == before


def _markers(world) -> dict[str, str]:
    """Text only Payments' rows carry: an outsider's page or list showing one leaks. (Not
    the team's name: the severity matrix's examples mention payments.)"""
    rows = world.rows
    return {
        "incident": rows["incident"].title,
        "service": rows["service"].name,
        "runbook": rows["runbook"].title,
        "heartbeat": rows["heartbeat"].name,
        "drill": rows["drill"].title,
        "integration": rows["integration"].name,
        "member": world.member.username,
    }


def _signed_in_reads():
    return sorted(
        (
            key
            for key, entry in MATRIX.items()
            if key[1] == "GET" and entry.policy in ("SIGNED_IN", "ANY_MANAGER")
        ),
        key=_entry_id,
    )


@pytest.mark.parametrize("key", _params(_signed_in_reads()))
def test_outsider_reads_show_nothing_of_another_team(world, clients, key):
    """A list or page anyone signed in may open is scoped to the reader's teams: none of
    Payments' names appear in what the outsider gets."""
    name, _ = key
    entry = MATRIX[key]
    url = _url(world, name, entry)
    response = clients["outsider"].get(url)
    assert response.status_code < 500
    raw = b"".join(response.streaming_content) if response.streaming else response.content
    text = raw.decode("utf-8", "replace")
    shown = {kind: marker for kind, marker in _markers(world).items() if marker in text}
    assert shown == {}, f"GET {url} as the outsider shows Payments' {shown}"
