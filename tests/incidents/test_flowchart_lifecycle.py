"""The incident lifecycle flowchart: every status and every move of the allowed-transition
table, the incident's status highlighted, on the incident page and as a download for
the team only."""

import pytest

from incidents import services
from incidents.flowcharts import lifecycle_flowchart, lifecycle_transitions
from incidents.models import STATUS_ORDER, IncidentStatus
from incidents.services import ALLOWED_TRANSITIONS
from tests.harness.svg import SVG, needs_dot, svg_root, texts

pytestmark = [needs_dot, pytest.mark.usefixtures("fresh_drawings")]


def test_the_chart_has_every_move_of_the_transition_table():
    moves = {(a, b) for a, b, _kind in lifecycle_transitions()}
    table = {(a, b) for a, targets in ALLOWED_TRANSITIONS.items() for b in targets}
    assert moves == table | {(IncidentStatus.RESOLVED, IncidentStatus.TRIGGERED)}
    source = lifecycle_flowchart().source
    for a, b in moves:
        assert f"{a} -> {b}" in source


def test_the_download_names_every_status_and_highlights_the_current_one(client, member, incident):
    services.incident_acknowledge(incident=incident, actor=member)
    client.force_login(member)
    response = client.get(f"/incidents/{incident.pk}/lifecycle.svg")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml; charset=utf-8"
    assert (
        response["Content-Disposition"]
        == f'attachment; filename="incident-{incident.pk}-lifecycle.svg"'
    )
    body = response.content.decode()
    root = svg_root(body.encode())
    assert root.get("aria-label") == (
        "Flowchart of the incident lifecycle; this incident is acknowledged"
    )
    shown = texts(body)
    for status in STATUS_ORDER:
        assert dict(IncidentStatus.choices)[status] in shown
    assert shown.count("(now)") == 1
    # The highlighted node is the acknowledged one (its label's two lines).
    node = next(
        g
        for g in root.iter(f"{SVG}g")
        if g.get("class") == "node" and g.find(f"{SVG}title").text == "acknowledged"
    )
    assert [t.text for t in node.iter(f"{SVG}text")] == ["Acknowledged", "(now)"]
    assert node.find(f"{SVG}path").get("fill") == "#fff1c2"


def test_the_incident_page_shows_the_lifecycle_with_its_text(client, member, incident):
    client.force_login(member)
    body = client.get(f"/incidents/{incident.pk}/").content.decode()
    assert "<summary>Lifecycle</summary>" in body
    assert 'aria-label="Flowchart of the incident lifecycle; this incident is triggered"' in body
    assert "Triggered (this incident is here): can move on to Acknowledged" in body
    assert f'href="/incidents/{incident.pk}/lifecycle.svg" download' in body
    # Outside the live region, refreshed with it.
    assert body.index('id="incident-lifecycle"') > body.index('id="incident-panel"')
    assert f'hx-get="/incidents/{incident.pk}/lifecycle.svg"' in body
    assert "incident-saved from:body" in body
    assert "style=" not in body and "<style" not in body


def test_the_htmx_refresh_follows_a_status_change(client, member, incident):
    client.force_login(member)
    client.post(
        f"/incidents/{incident.pk}/status/",
        {"status": "identified", "message": "Found it"},
        headers={"HX-Request": "true"},
    )
    figure = client.get(f"/incidents/{incident.pk}/lifecycle.svg", headers={"HX-Request": "true"})
    html = figure.content.decode()
    assert figure["Content-Type"].startswith("text/html")
    assert "this incident is identified" in html and "<figure" in html
    assert "Identified (this incident is here)" in html


def test_other_teams_get_a_404(client, outsider, incident):
    url = f"/incidents/{incident.pk}/lifecycle.svg"
    assert client.get(url).status_code == 302
    client.force_login(outsider)
    assert client.get(url).status_code == 404
    assert client.get(url, headers={"HX-Request": "true"}).status_code == 404


def test_without_dot_the_page_shows_the_text_and_the_download_a_503(
    client, member, incident, settings
):
    settings.GRAPHVIZ_DOT = "/nonexistent/dot"
    client.force_login(member)
    page = client.get(f"/incidents/{incident.pk}/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "Graphviz (the dot program) is not installed" in body
    assert "Triggered (this incident is here)" in body
    assert client.get(f"/incidents/{incident.pk}/lifecycle.svg").status_code == 503
