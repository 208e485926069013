"""The token pages without a browser: the team's tokens page for its managers only (a
member gets 403, an outsider 404), the team page links to it, a secret appears on the
answer that made it only, and the pages' queries do not grow with tokens."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from oncall.tokens.models import ApiToken
from oncall.tokens.services import token_create

pytestmark = pytest.mark.django_db


def test_team_tokens_page_is_for_the_teams_managers(client, manager, member, outsider, team):
    url = f"/teams/{team.pk}/tokens/"
    client.force_login(outsider)
    assert client.get(url).status_code == 404
    client.force_login(member)
    assert client.get(url).status_code == 403
    assert b"API tokens of the team" not in client.get(f"/teams/{team.pk}/").content
    client.force_login(manager)
    assert b"API tokens of the team" in client.get(f"/teams/{team.pk}/").content
    answer = client.post(
        url, {"name": "prometheus", "scope": "integrations", "expires_in_days": 365}
    )
    assert answer.status_code == 200 and answer["Cache-Control"].startswith("max-age=0")
    token = ApiToken.objects.get(team=team)
    secret = answer.context["created"][1]
    assert secret.encode() in answer.content and token.service_user.team_memberships.exists()
    assert secret.encode() not in client.get(url).content


def test_a_bad_form_is_a_400_with_the_fields_marked(client, member):
    client.force_login(member)
    answer = client.post("/profile/tokens/", {"name": "", "scope": "write", "expires_in_days": 30})
    assert answer.status_code == 400 and not ApiToken.objects.exists()
    # Only managers are offered the integrations scope.
    assert b'value="integrations"' not in answer.content


def test_legacy_token_is_shown_with_a_revoke_button(client, api, member):
    api.as_user(member)
    client.force_login(member)
    page = client.get("/profile/tokens/")
    assert b"Legacy token" in page.content
    client.post("/profile/tokens/legacy/revoke/")
    assert b"Legacy token" not in client.get("/profile/tokens/").content


def test_profile_tokens_page_queries_do_not_grow_with_tokens(client, member):
    client.force_login(member)
    token_create(actor=member, name="one", scope="read", expires_in_days=7)
    with CaptureQueriesContext(connection) as one:
        client.get("/profile/tokens/")
    for n in range(5):
        token_create(actor=member, name=f"more {n}", scope="read", expires_in_days=7)
    with CaptureQueriesContext(connection) as six:
        client.get("/profile/tokens/")
    assert len(six) == len(one), [q["sql"] for q in six]
