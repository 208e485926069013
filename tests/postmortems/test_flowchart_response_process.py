"""The team's response process on the team page: per severity, who is paged (the team's
escalation policy, the first rule for that urgency), the acknowledge and resolve targets,
the status-page deadline and update cadence, and the postmortem rule; as SVG to download
for the team only; no query per rule, target or severity."""

import datetime

import pytest

from incidents.models import Severity
from oncall.policies.models import EscalationRule
from tests.harness.svg import needs_dot, svg_root, texts
from tests.oncall.factories import make_policy, make_schedule, member_of

pytestmark = [needs_dot, pytest.mark.usefixtures("fresh_drawings")]


def layer(*users):
    return {
        "users": list(users),
        "rotation": "weekly",
        "handoff_time": datetime.time(9),
        "start": datetime.date(2026, 1, 5),
    }


@pytest.fixture
def policy(team, member, manager):
    """Rule 1 pages everyone, for high urgency only; rule 2 the on-call schedule."""
    schedule = make_schedule(team, [layer(member)], name="Primary")
    policy = make_policy(team, [(5, [team, manager]), (10, [schedule])], name="Payments default")
    rule = EscalationRule.objects.get(policy=policy, position=0)
    rule.high_urgency_only = True
    rule.save(update_fields=["high_urgency_only"])
    return policy


def test_the_svg_shows_each_severity_with_its_pages_targets_and_postmortem_rule(
    client, member, team, policy, settings
):
    settings.POSTMORTEM_SLA_HOURS = 48
    client.force_login(member)
    response = client.get(f"/teams/{team.pk}/response-process.svg")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml; charset=utf-8"
    assert response["Content-Disposition"] == (
        f'attachment; filename="team-{team.pk}-response-process.svg"'
    )
    body = response.content.decode()
    assert svg_root(body.encode()).get("aria-label") == (
        "Flowchart of the response process of Payments"
    )
    shown = texts(body)
    for severity in Severity.objects.all():
        assert f"{severity.name} · {severity.label}" in shown
    # High urgency (SEV1, SEV2) starts at rule 1; low urgency skips it to rule 2.
    assert shown.count("Pages Everyone in Payments priya (Payments default, rule 1)") == 2
    assert shown.count("Pages Whoever is on call for Primary (Payments default, rule 2)") == 2
    for words in (
        "Acknowledge within 5m",  # SEV1
        "Acknowledge within 1d",  # SEV4
        "Status page update within 5m",
        "Stakeholder update every 15m while open",
        "Resolve within 1h",
        "Resolve within 14d",
    ):
        assert words in shown, words
    assert shown.count("Postmortem required, due 48 h after resolving") == 2
    assert shown.count("Postmortem optional") == 2


def test_the_rows_drive_the_chart(client, member, team, policy, settings):
    settings.POSTMORTEM_SLA_HOURS = 72
    sev3 = Severity.objects.get(name="SEV3")
    sev3.postmortem_required = True
    sev3.update_cadence = datetime.timedelta(hours=1)
    sev3.save()
    client.force_login(member)
    shown = texts(client.get(f"/teams/{team.pk}/response-process.svg").content.decode())
    assert shown.count("Postmortem required, due 72 h after resolving") == 3
    assert "Stakeholder update every 1h while open" in shown


def test_a_team_without_a_policy_pages_nobody(client, member, team):
    client.force_login(member)
    shown = texts(client.get(f"/teams/{team.pk}/response-process.svg").content.decode())
    assert shown.count("No escalation policy: nobody is paged") == Severity.objects.count()


def test_the_team_page_shows_the_chart_and_its_outline(client, member, team, policy):
    client.force_login(member)
    body = client.get(f"/teams/{team.pk}/").content.decode()
    assert '<h2 id="response-process-heading">Response process</h2>' in body
    assert 'aria-label="Flowchart of the response process of Payments"' in body
    assert f'href="/oncall/policies/{policy.pk}/">Payments default</a>' in body
    assert (
        "SEV3 (medium, low urgency: working hours): pages Whoever is on call for Primary "
        "(Payments default, rule 2); acknowledge within 1h; resolve within 3d; "
        "postmortem optional." in body
    )
    assert f'href="/teams/{team.pk}/response-process.svg" download' in body
    assert "style=" not in body and "<style" not in body


def test_hostile_names_are_text(client, team, manager):
    team.name = 'Ops <svg onload=alert(1)> & "Co"\nnight'
    team.save()
    evil = member_of(team, "evil", first_name="<script>x</script>", last_name="&lt;")
    make_policy(team, [(5, [evil])], name="</text><script>")
    client.force_login(manager)
    body = client.get(f"/teams/{team.pk}/response-process.svg").content.decode()
    root = svg_root(body.encode())
    assert "<script" not in body and "<svg onload" not in body
    assert root.get("aria-label") == (
        'Flowchart of the response process of Ops <svg onload=alert(1)> & "Co" night'
    )
    shown = texts(body)
    assert 'How Ops <svg onload=alert(1)> & "Co" night responds, by severity' in shown
    assert "Pages <script>x</script> &lt;" in shown
    assert "(</text><script>, rule 1)" in shown
    page = client.get(f"/teams/{team.pk}/").content.decode()
    assert "<script>x</script>" not in page and "<svg onload" not in page


def test_other_teams_get_a_404(client, outsider, team, policy):
    url = f"/teams/{team.pk}/response-process.svg"
    assert client.get(url).status_code == 302
    client.force_login(outsider)
    assert client.get(url).status_code == 404
    assert client.get(f"/teams/{team.pk}/").status_code == 404


def test_without_dot_the_page_shows_the_text_and_the_download_a_503(
    client, member, team, policy, settings
):
    settings.GRAPHVIZ_DOT = "/nonexistent/dot"
    client.force_login(member)
    body = client.get(f"/teams/{team.pk}/").content.decode()
    assert "Graphviz (the dot program) is not installed" in body
    assert (
        "SEV1 (critical, high urgency: pages at once): pages Everyone in Payments and priya "
        "(Payments default, rule 1); acknowledge within 5m; status page update within 5m; "
        "stakeholder update every 15m while open; resolve within 1h; postmortem required, "
        "due 48 h after resolving." in body
    )
    assert client.get(f"/teams/{team.pk}/response-process.svg").status_code == 503


def test_the_team_page_costs_no_query_per_rule_target_or_severity(
    client, member, team, django_assert_max_num_queries
):
    first = make_schedule(team, [layer(member)], name="First")
    make_policy(team, [(5, [member, first, team])], name="Small")
    client.force_login(member)
    with django_assert_max_num_queries(40) as few:
        assert client.get(f"/teams/{team.pk}/").status_code == 200
    schedule = make_schedule(team, [layer(member)], name="Other")
    people = [member_of(team, f"p{i}") for i in range(4)]
    make_policy(
        team,
        [(5, [schedule, *people]), (10, [team, people[0]]), (15, people), (20, [schedule])],
        name="Big",
    )
    Severity.objects.create(
        level=5,
        name="SEV5",
        label="cosmetic",
        ack_target=datetime.timedelta(days=2),
        resolve_target=datetime.timedelta(days=30),
        urgency="low",
    )
    with django_assert_max_num_queries(len(few.captured_queries)):
        body = client.get(f"/teams/{team.pk}/").content.decode()
    assert "SEV5 · cosmetic" in body and "(Big, rule 1)" in body
