"""The readiness report of a team: every kind of problem found on a seeded team and none
on a clean one, through the checks, the API and the page; a fixed number of queries
whatever the number of rows; another team's report is out of reach."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from readiness.report.checks import CHECK_KEYS, readiness_report
from tests.readiness.test_report_world import UNREADY_FINDINGS, seed_ready, seed_unready

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]


@pytest.fixture
def unready(team, manager, member):
    seed_unready(team, manager=manager, now=timezone.now())
    return team


@pytest.fixture
def ready(other_team, outsider):
    seed_ready(other_team, manager=outsider, now=timezone.now())
    return other_team


def _subjects(sections):
    """check key -> the subjects' names, from the report or from the API's JSON."""
    if sections and isinstance(sections[0], dict):
        return {s["check"]: [f["subject"] for f in s["findings"]] for s in sections}
    return {s.check.key: [f.subject for f in s.findings] for s in sections}


def _by_check(report):
    return {section.check.key: section.findings for section in report.sections}


def test_a_team_with_every_kind_of_problem_has_each_found(unready):
    report = readiness_report(team=unready)
    assert _subjects(report.sections) == UNREADY_FINDINGS
    assert report.problem_count == sum(len(v) for v in UNREADY_FINDINGS.values())


def test_a_clean_team_has_nothing_to_fix(ready):
    report = readiness_report(team=ready)
    assert [s.check.key for s in report.sections] == list(CHECK_KEYS)
    assert _subjects(report.sections) == {key: [] for key in CHECK_KEYS}
    assert report.problem_count == 0


def test_each_line_says_what_is_wrong_and_links_to_where_it_is_fixed(unready):
    found = _by_check(readiness_report(team=unready))
    [gap] = found["schedule_gaps"]
    schedule = unready.schedules.get(name="Business hours")
    assert gap.fix_url == reverse("web:oncall-schedule-edit", args=[schedule.pk])
    # Office hours only: the first gap is tonight, 17:00 to 09:00 (the clock is Monday 10:00).
    now = timezone.now()
    assert gap.periods[0] == (
        now.replace(hour=17, minute=0),
        (now + timedelta(days=1)).replace(hour=9, minute=0),
    )
    assert "gaps" in gap.problem and "next 14 days" in gap.problem

    nomethod, phone = found["unreachable_people"]
    assert "not verified" in phone.problem
    assert "no contact method" in nomethod.problem
    assert phone.fix_url == reverse("web:profile") + "#contact-methods"

    dead_end, empty = found["policy_dead_ends"]
    assert dead_end.problem == "its last rule (rule 2) pages nobody: phone cannot be paged"
    assert dead_end.fix_url == reverse("web:oncall-policy-edit", args=[dead_end.subject_id])
    assert empty.problem == "has no rules: its incidents page nobody"

    [no_policy] = found["services_without_policy"]
    assert "the team has no default one" in no_policy.problem
    assert no_policy.fix_url.startswith("/oncall/policies/")  # where a policy becomes default
    [no_runbook] = found["services_without_runbook"]
    assert no_runbook.fix_url == reverse("web:runbook-coverage") + f"?team={unready.pk}"
    [no_drill] = found["services_without_drill"]
    assert "last drill" in no_drill.problem  # 120 days ago, not "never"

    [untested] = found["runbooks_untested"]
    assert untested.problem.startswith("never tested (written ")
    assert untested.fix_url == reverse("web:runbook-detail", args=[untested.subject_id])

    [busy] = found["engineers_overloaded"]
    assert busy.problem.startswith("11 pages in week ")
    assert busy.fix_url == reverse("web:oncall-page") + f"?team={unready.pk}#load-report"


def test_a_runbook_tested_long_ago_and_a_drill_never_run_are_found(team, manager, clock):
    from runbooks.services import runbook_mark_tested
    from tests.incidents.factories import ServiceFactory
    from tests.runbooks.factories import RunbookFactory

    ServiceFactory(team=team, name="Ledger", slug="ledger")
    runbook = RunbookFactory(team=team, actor=manager, title="Ledger drift")
    runbook_mark_tested(runbook=runbook, actor=manager)
    clock.shift(timedelta(days=91))
    found = _by_check(readiness_report(team=team))
    [untested] = found["runbooks_untested"]
    assert untested.problem.endswith("91 days ago")
    [no_drill] = found["services_without_drill"]
    assert "never drilled" in no_drill.problem
    # Tested again today: off the report.
    runbook_mark_tested(runbook=runbook, actor=manager)
    assert _by_check(readiness_report(team=team))["runbooks_untested"] == []


def test_the_team_default_policy_covers_services_without_their_own(unready, clock):
    policy = unready.escalation_policies.get(name="Fine")
    unready.escalation_policy = policy
    unready.save(update_fields=["escalation_policy"])
    assert _by_check(readiness_report(team=unready))["services_without_policy"] == []


def test_a_deactivated_person_and_a_whole_team_target(team, manager, member):
    from oncall.policies.models import EscalationPolicy
    from tests.oncall.factories import make_policy, member_of

    gone = member_of(team, "gone")
    gone.is_active = False
    gone.save(update_fields=["is_active"])
    make_policy(team, [(5, [gone])], name="To a leaver", set_default=False)
    # The whole team: marco and priya have no contact method but an account e-mail, which
    # the engine pages.
    make_policy(team, [(5, [team])], name="Everyone", set_default=False)
    found = _by_check(readiness_report(team=team))
    assert [f.subject for f in found["policy_dead_ends"]] == ["To a leaver"]
    assert EscalationPolicy.objects.filter(team=team).count() == 2


def test_a_schedule_that_cannot_be_computed_is_a_gap_and_a_dead_end(team, manager, alice):
    from tests.oncall.factories import make_policy, make_schedule

    broken = make_schedule(
        team,
        [
            {
                "users": [alice],
                "rotation": "custom",  # a custom rotation needs a shift length
                "handoff_time": timezone.now().time(),
                "start": timezone.now().date(),
            }
        ],
        name="Half edited",
    )
    make_policy(team, [(5, [broken])], name="Via the broken one", set_default=False)
    found = _by_check(readiness_report(team=team))
    [line] = found["schedule_gaps"]
    assert line.subject == "Half edited"
    assert line.problem.startswith("cannot be computed (")
    [dead_end] = found["policy_dead_ends"]
    assert dead_end.problem.endswith("schedule Half edited has nobody on call now who can be paged")


def test_high_urgency_rules_decide_and_fall_back_like_the_engine(team, alice, bob):
    from oncall.contacts.models import ContactKind, ContactMethod, NotificationRule
    from tests.oncall.factories import make_schedule

    make_schedule(
        team,
        [
            {
                "users": [alice, bob],
                "rotation": "weekly",
                "handoff_time": timezone.now().time(),
                "start": timezone.now().date(),
            }
        ],
    )
    # alice: her high-urgency rule names an unverified phone; her e-mail can page, so the
    # engine falls back to it. bob: his only method, a phone, is verified but turned off.
    phone = ContactMethod.objects.create(user=alice, kind=ContactKind.SMS, address="+14155550100")
    ContactMethod.objects.create(user=alice, kind=ContactKind.EMAIL, address=alice.email)
    NotificationRule.objects.create(user=alice, urgency="high", contact_method=phone)
    ContactMethod.objects.create(
        user=bob,
        kind=ContactKind.VOICE,
        address="+14155550101",
        verified_at=timezone.now(),
        enabled=False,
    )
    [line] = _by_check(readiness_report(team=team))["unreachable_people"]
    assert (line.subject, line.problem) == ("bob", "has every contact method turned off")


# --- API ----------------------------------------------------------------------------------


def test_api_lists_every_check_with_its_findings(api, unready, manager):
    response = api.as_user(manager).get(f"/api/v1/teams/{unready.pk}/readiness/")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["team"] == {"id": unready.pk, "name": unready.name}
    assert [s["check"] for s in body["sections"]] == list(CHECK_KEYS)
    assert _subjects(body["sections"]) == UNREADY_FINDINGS
    assert body["problem_count"] == sum(len(v) for v in UNREADY_FINDINGS.values())
    gaps = next(s for s in body["sections"] if s["check"] == "schedule_gaps")
    assert gaps["ok"] is False
    [line] = gaps["findings"]
    assert line["subject_type"] == "schedule"
    assert line["fix_url"].startswith("/oncall/schedules/")
    assert line["gaps"][0]["start"].endswith("17:00:00Z")


def test_api_a_clean_team(api, ready, outsider):
    body = api.as_user(outsider).get(f"/api/v1/teams/{ready.pk}/readiness/").json()
    assert body["problem_count"] == 0
    assert all(s["ok"] and s["findings"] == [] for s in body["sections"])


def test_api_another_team_is_not_found_and_anonymous_is_refused(api, unready, outsider):
    response = api.as_user(outsider).get(f"/api/v1/teams/{unready.pk}/readiness/")
    assert response.status_code == 404
    assert response.json()["detail"] == "Team not found."
    api.credentials()
    assert api.get(f"/api/v1/teams/{unready.pk}/readiness/").status_code in (401, 403)


def test_api_a_member_reads_it_too(api, unready, member):
    assert api.as_user(member).get(f"/api/v1/teams/{unready.pk}/readiness/").status_code == 200


def test_api_answers_what_the_openapi_schema_says(api, unready, manager):
    from drf_spectacular.generators import SchemaGenerator

    from tests.test_openapi_conformance import conforms

    schema = SchemaGenerator().get_schema(request=None, public=True)
    path = "/api/v1/teams/{id}/readiness/"
    operation = schema["paths"][path]["get"]
    ref = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    assert ref.endswith("/ReadinessReportOutput")
    body = api.as_user(manager).get(f"/api/v1/teams/{unready.pk}/readiness/").json()
    # Every field documented, with its type (the schema forbids undocumented ones).
    conforms(schema, path, "get", 200, body)


# --- pages --------------------------------------------------------------------------------


def test_page_picker_lists_the_readers_teams_only(client, unready, ready, manager):
    client.force_login(manager)
    response = client.get("/readiness/")
    assert response.status_code == 200
    html = response.content.decode()
    assert f'href="/readiness/{unready.pk}/"' in html
    assert f'href="/readiness/{ready.pk}/"' not in html
    assert client.get(f"/readiness/?team={unready.pk}").url == f"/readiness/{unready.pk}/"
    assert client.get(f"/readiness/?team={ready.pk}").status_code == 404


def test_page_shows_each_problem_with_its_fix_link(client, unready, manager):
    client.force_login(manager)
    response = client.get(f"/readiness/{unready.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    for names in UNREADY_FINDINGS.values():
        for name in names:
            assert f"<strong>{name}</strong>" in html
    for finding in readiness_report(team=unready).findings:
        assert f'href="{finding.fix_url.replace("&", "&amp;")}"' in html
    assert "things to fix" in html


def test_pages_have_no_inline_script_or_style(client, unready, manager):
    """The CSP refuses inline scripts, ``<style>`` and ``style=``: the pages use none."""
    client.force_login(manager)
    for path in ("/readiness/", f"/readiness/{unready.pk}/"):
        html = client.get(path).content.decode()
        assert "<style" not in html and " style=" not in html
        assert re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html) is None
        assert "/static/css/readiness.css" in html


def test_page_a_clean_team(client, ready, outsider):
    client.force_login(outsider)
    html = client.get(f"/readiness/{ready.pk}/").content.decode()
    assert "All clear" in html
    assert 'class="finding"' not in html


def test_page_another_team_is_not_found(client, unready, outsider):
    client.force_login(outsider)
    assert client.get(f"/readiness/{unready.pk}/").status_code == 404


# --- queries ------------------------------------------------------------------------------


def _queries(callable_):
    with CaptureQueriesContext(connection) as captured:
        callable_()
    return captured


def test_query_count_does_not_grow_with_rows(team, manager, api, client):
    now = timezone.now()
    seed_unready(team, manager=manager, now=now)
    client.force_login(manager)
    as_manager = api.as_user(manager)

    def measure():
        return (
            len(_queries(lambda: readiness_report(team=team))),
            len(_queries(lambda: as_manager.get(f"/api/v1/teams/{team.pk}/readiness/"))),
            len(_queries(lambda: client.get(f"/readiness/{team.pk}/"))),
        )

    measure()  # sessions and tokens settle first
    small = measure()
    seed_unready(team, manager=manager, now=now, copies=4, first=1)
    per_copy = sum(len(v) for v in UNREADY_FINDINGS.values())
    assert readiness_report(team=team).problem_count == 5 * per_copy
    large = measure()
    if small != large:
        sql = "\n".join(q["sql"] for q in _queries(lambda: readiness_report(team=team)))
        pytest.fail(f"queries grew with rows: {small} -> {large}\n{sql}")
    assert small[0] <= 20
