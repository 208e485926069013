"""Runbook pages: list with stale ones marked, the rendered (sanitised) detail, version
history with diffs, coverage; team isolation and bounded query counts."""

import datetime

import pytest

from runbooks import services
from tests.incidents.factories import ServiceFactory
from tests.runbooks.factories import BODY, RunbookFactory

NOW = datetime.datetime(2026, 3, 12, 10, 0, tzinfo=datetime.UTC)


pytestmark = pytest.mark.usefixtures("clock")  # every test runs at NOW, frozen


@pytest.fixture
def clock_start():
    return NOW


def test_list_marks_stale_runbooks(signed_in, team, member, other_team, outsider):
    RunbookFactory(team=team, actor=member, title="Fresh one", last_tested_at=NOW)
    RunbookFactory(
        team=team,
        actor=member,
        title="Database outage",
        last_tested_at=NOW - datetime.timedelta(days=120),
    )
    RunbookFactory(team=other_team, actor=outsider, title="Their runbook")
    response = signed_in.get("/runbooks/")
    assert response.status_code == 200
    stale = {row["runbook"].title: row["stale"] for row in response.context["rows"]}
    assert stale == {"Database outage": True, "Fresh one": False}
    body = response.content.decode()
    assert "Their runbook" not in body and "stale" in body
    only_stale = signed_in.get("/runbooks/", {"stale": "1"}).context["rows"]
    assert [row["runbook"].title for row in only_stale] == ["Database outage"]


def test_detail_renders_sanitised_markdown_and_marks_tested(signed_in, team, member):
    runbook = RunbookFactory(
        team=team,
        actor=member,
        title="Checkout latency",
        body=BODY + "\n<script>alert(1)</script>\n[x](javascript:alert(1))\n",
        last_tested_at=NOW - datetime.timedelta(days=120),
    )
    response = signed_in.get(f"/runbooks/{runbook.pk}/")
    body = response.content.decode()
    assert response.status_code == 200
    assert "<h2>Triage steps</h2>" in body
    assert "<code>kubectl -n checkout get pods</code>" in body
    article = body.split('<article class="runbook-body">')[1].split("</article>")[0]
    assert "<script>" not in article and 'href="javascript' not in article
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in article
    assert response.context["stale"] is True
    signed_in.post(f"/runbooks/{runbook.pk}/tested/")
    runbook.refresh_from_db()
    assert runbook.last_tested_at == NOW
    assert signed_in.get(f"/runbooks/{runbook.pk}/").context["stale"] is False


def test_versions_with_diff(signed_in, team, member):
    runbook = RunbookFactory(team=team, actor=member, title="Checkout latency")
    services.runbook_update(
        runbook=runbook, actor=member, body=BODY.replace("Scale out.", "Scale out to 12 pods.")
    )
    response = signed_in.get(f"/runbooks/{runbook.pk}/versions/")
    assert response.status_code == 200
    versions = response.context["versions"]
    assert [v["history_type"] for v in versions] == ["changed", "created"]
    lines = response.context["diff"]["lines"]
    assert ("removed", "-Scale out.") in lines
    assert ("added", "+Scale out to 12 pods.") in lines
    assert 'class="added"' in response.content.decode()
    # An unknown version is a message, not an error.
    response = signed_in.get(f"/runbooks/{runbook.pk}/versions/", {"from": "x", "to": "999999"})
    assert response.status_code == 200 and response.context["error"]


def test_coverage_report(signed_in, team, member):
    checkout = ServiceFactory(team=team, name="Checkout", slug="checkout")
    ServiceFactory(team=team, name="Search", slug="search")
    RunbookFactory(team=team, actor=member, title="Checkout latency", services=[checkout])
    response = signed_in.get("/runbooks/coverage/")
    assert response.status_code == 200
    rows = {r["service"]["slug"]: r["covered"] for r in response.context["coverage"]["services"]}
    assert rows == {"checkout": True, "search": False}
    assert "not covered" in response.content.decode()


def test_another_teams_runbooks_are_not_found(client, member, other_team, outsider):
    theirs = RunbookFactory(team=other_team, actor=outsider, title="Their runbook")
    client.force_login(member)
    for path in ("", "versions/"):
        assert client.get(f"/runbooks/{theirs.pk}/{path}").status_code == 404
    assert client.post(f"/runbooks/{theirs.pk}/tested/").status_code == 404
    assert client.get("/runbooks/coverage/", {"team": other_team.pk}).status_code == 404
    assert client.get("/runbooks/", {"team": other_team.pk}).status_code == 404
    theirs.refresh_from_db()
    assert theirs.last_tested_at is None


@pytest.mark.parametrize("page", ["LIST", "DETAIL", "VERSIONS", "COVERAGE"])
def test_runbook_pages_query_count_does_not_grow(
    signed_in, team, member, page, django_assert_max_num_queries
):
    checkout = ServiceFactory(team=team, name="Checkout", slug="checkout")
    first = RunbookFactory(team=team, actor=member, title="First", services=[checkout])
    url = {
        "LIST": "/runbooks/",
        "DETAIL": f"/runbooks/{first.pk}/",
        "VERSIONS": f"/runbooks/{first.pk}/versions/",
        "COVERAGE": "/runbooks/coverage/",
    }[page]
    with django_assert_max_num_queries(20) as few:
        assert signed_in.get(url).status_code == 200
    for index in range(4):
        service = ServiceFactory(team=team, name=f"S{index}", slug=f"s{index}")
        RunbookFactory(team=team, actor=member, title=f"More {index}", services=[service, checkout])
        services.runbook_update(runbook=first, actor=member, body=BODY + f"\nEdit {index}\n")
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert signed_in.get(url).status_code == 200


@pytest.mark.parametrize(
    "path",
    ["/oncall/", "/postmortems/", "/action-items/", "/runbooks/", "/runbooks/coverage/"],
)
def test_anonymous_visitors_are_sent_to_sign_in(client, db, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


def test_nav_links_to_the_new_pages(signed_in):
    body = signed_in.get("/").content.decode()
    for path in ("/oncall/", "/postmortems/", "/action-items/", "/runbooks/"):
        assert f'href="{path}"' in body
