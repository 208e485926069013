"""API tokens through the API: created and shown once, stored hashed, sent as a Bearer
token; scopes (read-only tokens read only), rotation and revocation that stop the old
token at once, expiry, last use noted at most once a minute, team service tokens, and
legacy tokens that keep working until revoked. Each change is in the audit log."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from oncall.audit.models import AuditAction, AuditEvent
from oncall.tokens.models import ApiToken, token_digest
from oncall.tokens.services import token_create

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]


def bearer(raw: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


def make(user, scope="write", days=30, **kwargs):
    return token_create(actor=user, name="script", scope=scope, expires_in_days=days, **kwargs)


def test_created_token_is_shown_once_and_only_its_digest_is_stored(api, member):
    api.force_authenticate(member)
    answer = api.post("/api/v1/tokens/", {"name": "deploy", "scope": "read", "expires_in_days": 30})
    assert answer.status_code == 201, answer.json()
    raw = answer.json()["token"]
    assert raw.startswith("tcs_") and answer.json()["prefix"] == raw[:14] + "_…"
    stored = ApiToken.objects.get()
    assert stored.secret_hash == token_digest(raw) and raw not in str(stored.__dict__)
    listed = api.get("/api/v1/tokens/").json()
    assert [row["name"] for row in listed] == ["deploy"] and "token" not in listed[0]
    assert AuditEvent.objects.filter(action=AuditAction.TOKEN_CREATED, actor=member).exists()


def test_a_bearer_token_authenticates_as_its_owner(member, team):
    _, raw = make(member)
    answer = bearer(raw).get("/api/v1/teams/")
    assert answer.status_code == 200
    assert [row["id"] for row in answer.json()["results"]] == [team.pk]


def test_a_wrong_secret_with_a_real_prefix_is_refused(member):
    _, raw = make(member)
    forged = raw[:16] + ("A" if raw[16] != "A" else "B") + raw[17:]
    answer = bearer(forged).get("/api/v1/teams/")
    assert answer.status_code == 401
    assert answer.json()["detail"] == "Invalid API token."


def test_read_only_token_reads_but_a_write_is_403_naming_the_scope(member, team):
    _, raw = make(member, scope="read")
    client = bearer(raw)
    assert client.get("/api/v1/incidents/").status_code == 200
    answer = client.post("/api/v1/incidents/", {"title": "x", "team": team.pk, "severity": "SEV3"})
    assert answer.status_code == 403
    assert (
        "read scope" in answer.json()["detail"]
        and "needs the write scope" in answer.json()["detail"]
    )


def test_managing_integrations_needs_the_integrations_scope(manager, team):
    _, write_raw = make(manager, scope="write")
    body = {"name": "Grafana", "kind": "events_v2", "team": team.pk}
    answer = bearer(write_raw).post("/api/v1/integrations/", body)
    assert answer.status_code == 403 and "integrations scope" in answer.json()["detail"]
    _, integrations_raw = make(manager, scope="integrations")
    answer = bearer(integrations_raw).post("/api/v1/integrations/", body)
    assert answer.status_code != 403, answer.json()


def test_only_managers_get_the_integrations_scope_and_a_token_cannot_widen_itself(member):
    api = APIClient()
    api.force_authenticate(member)
    body = {"name": "x", "scope": "integrations", "expires_in_days": 7}
    assert api.post("/api/v1/tokens/", body).status_code == 403
    _, read_raw = make(member, scope="read")
    # Creating a token is a write: a read-only token cannot even ask.
    assert bearer(read_raw).post("/api/v1/tokens/", {**body, "scope": "read"}).status_code == 403
    _, write_raw = make(member, scope="write")
    assert bearer(write_raw).post("/api/v1/tokens/", {**body, "scope": "write"}).status_code == 201


def test_rotation_stops_the_old_token_at_once_and_the_new_one_works(member, clock):
    token, old_raw = make(member, days=90)
    api = APIClient()
    api.force_authenticate(member)
    answer = api.post(f"/api/v1/tokens/{token.pk}/rotate/")
    assert answer.status_code == 201
    new_raw = answer.json()["token"]
    refused = bearer(old_raw).get("/api/v1/teams/")
    assert refused.status_code == 401
    assert "revoked" in refused.json()["detail"] and "replaced" in refused.json()["detail"]
    assert bearer(new_raw).get("/api/v1/teams/").status_code == 200
    token.refresh_from_db()
    new = ApiToken.objects.get(pk=answer.json()["id"])
    assert token.replaced_by == new and new.expires_at - new.created_at == timedelta(days=90)
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {AuditAction.TOKEN_ROTATED, AuditAction.TOKEN_REFUSED} <= actions


def test_revoked_and_expired_tokens_are_401_with_a_clear_detail(member, clock):
    token, raw = make(member, days=1)
    api = APIClient()
    api.force_authenticate(member)
    assert api.post(f"/api/v1/tokens/{token.pk}/revoke/").json()["state"] == "revoked"
    answer = bearer(raw).get("/api/v1/teams/")
    assert answer.status_code == 401 and "was revoked at" in answer.json()["detail"]
    assert answer["WWW-Authenticate"].startswith("Bearer")

    _, raw2 = make(member, days=1)
    clock.shift(timedelta(days=1, seconds=1))
    answer = bearer(raw2).get("/api/v1/teams/")
    assert answer.status_code == 401 and "expired at" in answer.json()["detail"]
    refusals = AuditEvent.objects.filter(action=AuditAction.TOKEN_REFUSED)
    assert sorted(refusals.values_list("details__reason", flat=True)) == ["expired", "revoked"]


def test_a_refused_token_tried_again_and_again_is_one_audit_row_a_minute(member, clock):
    token, raw = make(member)
    APIClient().force_authenticate(member)
    from oncall.tokens.services import token_revoke

    token_revoke(actor=member, token=token)
    for _ in range(5):
        assert bearer(raw).get("/api/v1/teams/").status_code == 401
    assert AuditEvent.objects.filter(action=AuditAction.TOKEN_REFUSED).count() == 1


def test_last_use_is_written_at_most_once_a_minute(member, clock):
    token, raw = make(member)
    client = bearer(raw)
    client.get("/api/v1/teams/", REMOTE_ADDR="10.0.0.7")
    token.refresh_from_db()
    first = token.last_used_at
    assert first is not None and token.last_used_address == "10.0.0.7"
    clock.shift(timedelta(seconds=30))
    with CaptureQueriesContext(connection) as queries:
        client.get("/api/v1/teams/")
    assert not [q for q in queries if q["sql"].startswith("UPDATE")]
    token.refresh_from_db()
    assert token.last_used_at == first
    clock.shift(timedelta(seconds=31))
    client.get("/api/v1/teams/")
    token.refresh_from_db()
    assert token.last_used_at == first + timedelta(seconds=61)


def test_legacy_token_keeps_working_until_its_owner_revokes_it(api, member):
    client = api.as_user(member)
    assert client.get("/api/v1/teams/").status_code == 200
    from oncall.tokens.services import legacy_token_revoke

    assert legacy_token_revoke(actor=member) is True
    assert client.get("/api/v1/teams/").status_code == 401
    assert not Token.objects.filter(user=member).exists()
    assert AuditEvent.objects.filter(action=AuditAction.LEGACY_TOKEN_REVOKED).exists()


def test_team_token_acts_in_its_team_only_and_only_managers_manage_it(
    manager, member, team, other_team
):
    api = APIClient()
    api.force_authenticate(member)
    body = {"name": "prometheus", "scope": "write", "expires_in_days": 365}
    assert api.post(f"/api/v1/teams/{team.pk}/tokens/", body).status_code == 403
    assert api.get(f"/api/v1/teams/{team.pk}/tokens/").status_code == 403
    api.force_authenticate(manager)
    answer = api.post(f"/api/v1/teams/{team.pk}/tokens/", body)
    assert answer.status_code == 201
    raw = answer.json()["token"]
    seen = bearer(raw).get("/api/v1/teams/").json()["results"]
    assert [row["id"] for row in seen] == [team.pk]
    assert [row["name"] for row in api.get(f"/api/v1/teams/{team.pk}/tokens/").json()] == [
        "prometheus"
    ]
    event = AuditEvent.objects.get(action=AuditAction.TOKEN_CREATED)
    assert event.team == team and event.actor == manager
    # Revoked, its service account leaves the team and cannot be used.
    token_id = answer.json()["id"]
    assert api.post(f"/api/v1/tokens/{token_id}/revoke/").status_code == 200
    assert bearer(raw).get("/api/v1/teams/").status_code == 401
    assert not team.memberships.filter(user__username__startswith="svc-").exists()


def test_someone_elses_token_is_not_found(member, alice):
    token, _ = make(alice)
    api = APIClient()
    api.force_authenticate(member)
    assert api.post(f"/api/v1/tokens/{token.pk}/revoke/").status_code == 404
    assert api.post(f"/api/v1/tokens/{token.pk}/rotate/").status_code == 404


def test_bad_input_is_a_400_naming_the_field(member):
    api = APIClient()
    api.force_authenticate(member)
    answer = api.post("/api/v1/tokens/", {"name": "", "scope": "root", "expires_in_days": 9999})
    assert answer.status_code == 400
    assert {"name", "scope", "expires_in_days"} <= set(answer.json()["errors"])


def test_token_list_queries_do_not_grow_with_tokens(member):
    api = APIClient()
    api.force_authenticate(member)
    make(member)
    with CaptureQueriesContext(connection) as one:
        api.get("/api/v1/tokens/")
    for _ in range(5):
        make(member)
    with CaptureQueriesContext(connection) as six:
        assert len(api.get("/api/v1/tokens/").json()) == 6
    assert len(six) == len(one), [q["sql"] for q in six]


def test_a_team_tokens_service_account_is_not_a_person_the_team_reaches(manager, team):
    from oncall.teams.selectors import team_managers

    token, raw = make(manager, scope="integrations", team=team)
    assert token.service_user.team_memberships.get().role == "manager"
    # Inactive: never paged with the whole team, picked for a rotation or named as a
    # manager in an invitation; its token still authenticates as it.
    assert not token.service_user.is_active
    assert list(team_managers(team=team)) == [manager]
    assert bearer(raw).get("/api/v1/teams/").status_code == 200
