"""An escalation policy's flowchart: every rule, delay and target of the saved policy,
the urgency condition and the repeats; names people typed stay text; the download and
the editor's figure are the team's only; no query per rule or target."""

import datetime

import pytest

from oncall.policies.models import EscalationRule
from tests.harness.svg import needs_dot, svg_root, texts
from tests.oncall.factories import make_policy, make_schedule, member_of

pytestmark = [needs_dot, pytest.mark.usefixtures("fresh_drawings")]

HOSTILE = "Night <shift> & \"Co\" 'x' \\N -->"


def layer(*users):
    return {
        "users": list(users),
        "rotation": "weekly",
        "handoff_time": datetime.time(9),
        "start": datetime.date(2026, 1, 5),
    }


@pytest.fixture
def policy(team, member, manager):
    schedule = make_schedule(team, [layer(member)], name="Primary")
    alice = member_of(team, "alice", first_name="Alice", last_name="Ng")
    policy = make_policy(
        team, [(5, [schedule]), (10, [alice, manager]), (15, [team])], repeat=2, name="Default"
    )
    rule = EscalationRule.objects.get(policy=policy, position=2)
    rule.high_urgency_only = True
    rule.save(update_fields=["high_urgency_only"])
    return policy


def test_the_svg_names_every_rule_delay_and_target(client, member, policy):
    client.force_login(member)
    response = client.get(f"/oncall/policies/{policy.pk}/flowchart.svg")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml; charset=utf-8"
    assert (
        response["Content-Disposition"]
        == f'attachment; filename="escalation-policy-{policy.pk}.svg"'
    )
    body = response.content.decode()
    root = svg_root(body.encode())
    assert root.get("aria-label") == "Flowchart of the escalation policy Default"
    shown = texts(body)
    for words in (
        "Rule 1 · at 0 min",
        "Rule 2 · at 5 min",
        "Rule 3 · at 15 min",
        "Whoever is on call for Primary",
        "Alice Ng",
        "priya",
        "Everyone in Payments",
        "after 5 min",
        "after 10 min",
        "after 15 min",
        "High-urgency",  # rule 3's condition
        "no: skip rule",
        "the rules run 2 more times",
        "Escalation ends",
        "Acknowledging the incident stops the escalation at any step.",
    ):
        assert words in shown, words


def test_a_policy_without_repeats_ends_after_its_last_rule(client, member, team):
    policy = make_policy(team, [(7, [member])], name="Solo")
    client.force_login(member)
    shown = texts(client.get(f"/oncall/policies/{policy.pk}/flowchart.svg").content.decode())
    assert "Rule 1 · at 0 min" in shown and "after 7 min" in shown
    assert "Rounds left?" not in shown and "High-urgency" not in shown


def test_hostile_names_are_text_in_the_svg(client, team, manager):
    schedule = make_schedule(team, [layer(manager)], name=HOSTILE)
    evil = member_of(team, "evil", first_name="<img src=x onerror=alert(1)>", last_name="&amp;")
    policy = make_policy(team, [(5, [schedule, evil])], name=HOSTILE + " policy")
    client.force_login(manager)
    body = client.get(f"/oncall/policies/{policy.pk}/flowchart.svg").content.decode()
    root = svg_root(body.encode())
    assert "<img" not in body and "<shift>" not in body
    assert root.get("aria-label") == f"Flowchart of the escalation policy {HOSTILE} policy"
    shown = texts(body)
    assert f"Whoever is on call for {HOSTILE}" in shown
    assert "<img src=x onerror=alert(1)> &amp;" in shown
    assert f"Policy: {HOSTILE} policy" in shown


def test_other_teams_get_a_404_and_strangers_the_sign_in(client, outsider, policy):
    url = f"/oncall/policies/{policy.pk}/flowchart.svg"
    assert client.get(url).status_code == 302  # signed out
    client.force_login(outsider)
    assert client.get(url).status_code == 404
    assert client.get(url, headers={"HX-Request": "true"}).status_code == 404
    assert client.get("/oncall/policies/999999/flowchart.svg").status_code == 404


def test_the_editor_loads_the_figure_with_its_text_outline(client, manager, member, policy):
    for person in (manager, member):  # the managers' editor and the members' read-only page
        client.force_login(person)
        page = client.get(f"/oncall/policies/{policy.pk}/").content.decode()
        assert f'hx-get="/oncall/policies/{policy.pk}/flowchart.svg"' in page
    figure = client.get(
        f"/oncall/policies/{policy.pk}/flowchart.svg", headers={"HX-Request": "true"}
    )
    assert figure.status_code == 200 and figure["Content-Type"].startswith("text/html")
    html = figure.content.decode()
    assert '<svg width="' in html and 'role="img"' in html
    assert "style=" not in html and "<style" not in html
    assert "Rule 3, at 15 min: page Everyone in Payments (high-urgency incidents only)" in html
    assert "Rule 2, at 5 min: page Alice Ng and priya;" in html
    assert f'href="/oncall/policies/{policy.pk}/flowchart.svg" download' in html


def test_without_dot_the_editor_shows_the_text_and_the_download_a_503(
    client, member, policy, settings
):
    settings.GRAPHVIZ_DOT = "/nonexistent/dot"
    client.force_login(member)
    url = f"/oncall/policies/{policy.pk}/flowchart.svg"
    html = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert "<svg" not in html and "Graphviz (the dot program) is not installed" in html
    assert '<details class="flowchart-outline" open>' in html
    assert "Rule 1, at 0 min: page Whoever is on call for Primary;" in html
    download = client.get(url)
    assert download.status_code == 503
    assert "not installed" in download.content.decode()


def test_the_figure_costs_no_query_per_rule_or_target(
    client, member, team, django_assert_max_num_queries
):
    first = make_schedule(team, [layer(member)], name="First")
    # One target of each kind: each kind's rows are loaded in one query.
    small = make_policy(team, [(5, [member, first, team])], name="Small", set_default=False)
    client.force_login(member)
    url = f"/oncall/policies/{small.pk}/flowchart.svg"
    with django_assert_max_num_queries(20) as few:
        assert client.get(url, headers={"HX-Request": "true"}).status_code == 200
    schedule = make_schedule(team, [layer(member)], name="Other")
    people = [member_of(team, f"p{i}") for i in range(4)]
    big = make_policy(
        team,
        [(5, [schedule, *people]), (10, [team, people[0]]), (15, people), (20, [schedule])],
        name="Big",
        set_default=False,
    )
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(
            f"/oncall/policies/{big.pk}/flowchart.svg", headers={"HX-Request": "true"}
        )
    assert "Rule 4, at 30 min" in response.content.decode()
