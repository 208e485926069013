"""The Content-Security-Policy: sent on the pages, the sign-in page, the API docs and the
public status page, and allowing only the app's own origin — no other host, no scheme
wildcard, nothing inline, no eval."""

import re

import pytest

HEADER = "Content-Security-Policy"
# What a directive may list: our own origin, nothing at all, and data: images (the admin's
# and Swagger UI's icons are data: URLs in their stylesheets).
ALLOWED_SOURCES = {"'self'", "'none'"}
ALLOWED_EXTRA = {"img-src": {"data:"}}


def policy_of(response) -> dict[str, list[str]]:
    assert HEADER in response, f"no {HEADER} header on {response.request['PATH_INFO']}"
    directives = {}
    for part in response[HEADER].split(";"):
        words = part.split()
        if words:
            directives[words[0]] = words[1:]
    return directives


def assert_own_origin_only(policy: dict[str, list[str]]) -> None:
    for must in ("default-src", "script-src", "style-src", "object-src", "base-uri"):
        assert must in policy, f"{must} missing from the policy"
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["default-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    for directive, sources in policy.items():
        allowed = ALLOWED_SOURCES | ALLOWED_EXTRA.get(directive, set())
        for source in sources:
            assert source in allowed, f"{directive} allows {source}"
            assert "unsafe" not in source and "http" not in source and "*" not in source


@pytest.mark.parametrize(
    "path", ["/", "/incidents/", "/runbooks/", "/api/docs/", "/admin/", "/accounts/2fa/"]
)
def test_signed_in_pages_send_the_policy(client, staff, path):
    client.force_login(staff)
    response = client.get(path)
    assert response.status_code == 200
    assert_own_origin_only(policy_of(response))


@pytest.mark.parametrize("path", ["/accounts/login/", "/status/", "/status/feed.atom"])
def test_public_pages_send_the_policy(client, db, path):
    response = client.get(path)
    assert response.status_code == 200
    assert_own_origin_only(policy_of(response))


def test_the_api_docs_load_swagger_ui_from_our_own_static_files(client, member):
    client.force_login(member)
    body = client.get("/api/docs/").content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in body
    assert "cdn" not in body.lower() and "<style" not in body
    # The start-up script is its own request (CSP-safe), not inline.
    assert "<script>" not in body
    script = client.get("/api/docs/", {"script": ""})
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert "/api/schema/" in script.content.decode()


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
INLINE_HANDLER = re.compile(r"\son[a-z]+=", re.IGNORECASE)


def test_the_pages_have_no_inline_script_or_style(client, staff):
    """Every kind of page this app renders, the ones with SVG charts and htmx forms
    included: a script without ``src``, a ``<style>``, a ``style=`` attribute or an
    ``on…=`` handler would be refused by the CSP."""
    from tests.oncall.factories import TeamFactory, member_of
    from tests.postmortems.factories import ActionItemFactory, postmortem_for

    team = TeamFactory()
    member_of(team, staff.username)
    postmortem = postmortem_for(team=team, actor=staff)
    ActionItemFactory(actor=staff, postmortem=postmortem, owner=staff)
    client.force_login(staff)
    for path in (
        "/",
        "/runbooks/",
        "/accounts/2fa/",
        "/incidents/",
        "/incidents/declare/",
        f"/incidents/{postmortem.incident_id}/",
        f"/postmortems/{postmortem.pk}/",
        f"/postmortems/{postmortem.pk}/print/",
        "/postmortems/",
        "/action-items/",
        "/metrics/",
        "/metrics/definitions/",
        "/oncall/",
        "/oncall/my-shifts/",
        "/integrations/",
        "/profile/",
        "/teams/",
        "/status/",
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        body = response.content.decode()
        assert "<style" not in body, path
        assert not INLINE_SCRIPT.search(body), path
        assert "style=" not in body and not INLINE_HANDLER.search(body), path
