"""GET /incidents/{id}/pages/ and GET /oncall/load/."""

from datetime import UTC, date, datetime, time, timedelta

import time_machine

from incidents.paging.models import Page
from oncall.schedules.handoffs import handoffs_record
from tests.incidents.factories import IncidentFactory
from tests.oncall.factories import make_policy, make_schedule, member_of

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def test_incident_pages_endpoint(api, team, committing, outsider, django_assert_max_num_queries):
    alice = member_of(team, "alice")
    make_policy(team, [(5, [alice])])
    with time_machine.travel(T0, tick=False), committing():
        incidents = [IncidentFactory(team=team, severity="SEV1") for _ in range(3)]
    client = api.as_user(alice)
    with django_assert_max_num_queries(8) as few:
        pages = client.get(f"/api/v1/incidents/{incidents[0].pk}/pages/").json()
    assert [(p["user"]["username"], p["level"], p["channel"], p["status"]) for p in pages] == [
        ("alice", 1, "email", "sent")
    ]
    # More pages (other people, later runs) cost no more queries.
    first = Page.objects.get(incident=incidents[0])
    for run in range(2, 6):
        Page.objects.create(
            incident=incidents[0],
            user=member_of(team, f"extra{run}"),
            channel="email",
            run=run,
            level=1,
            not_before=first.not_before,
            created_at=first.created_at,
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        pages = client.get(f"/api/v1/incidents/{incidents[0].pk}/pages/").json()
    assert len(pages) == 5
    assert (
        api.as_user(outsider).get(f"/api/v1/incidents/{incidents[0].pk}/pages/").status_code == 404
    )
    client = api.as_user(alice)
    timeline = client.get(f"/api/v1/incidents/{incidents[0].pk}/timeline/").json()["results"]
    assert any(e["kind"] == "paged" and "alice" in e["message"] for e in timeline)


def test_load_report_hours_and_pages_per_week_flags_over_ten(
    api, team, manager, committing, django_assert_max_num_queries
):
    alice = member_of(team, "alice")
    bob = member_of(team, "bob")
    make_schedule(
        team,
        [
            {
                "users": [alice, bob],
                "rotation": "weekly",
                "handoff_time": time(9),
                "start": date(2026, 2, 23),
            }
        ],
    )
    make_policy(team, [(60, [alice])])
    with time_machine.travel(datetime(2026, 3, 1, 12, tzinfo=UTC), tick=False):
        handoffs_record()  # alice: Mon 23 Feb 09:00 – Mon 2 Mar 09:00
    with time_machine.travel(T0, tick=False), committing():
        for _ in range(6):
            IncidentFactory(team=team, severity="SEV2")
    client = api.as_user(manager)
    query = {"team": team.pk, "since": "2026-02-23T00:00:00Z", "until": "2026-03-09T00:00:00Z"}
    with django_assert_max_num_queries(10) as few:
        client.get("/api/v1/oncall/load/", query)
    with time_machine.travel(T0, tick=False), committing():
        for _ in range(5):
            IncidentFactory(team=team, severity="SEV2")
    # More pages (11 in all), the same queries.
    with django_assert_max_num_queries(len(few.captured_queries)):
        report = client.get("/api/v1/oncall/load/", query).json()
    rows = {row["user"]["username"]: row for row in report["users"]}
    assert rows["alice"]["hours_on_call"] == 168.0
    # A week has 40 business hours (Mon–Fri 09–17 UTC).
    assert rows["alice"]["hours_outside_business_hours"] == 128.0
    assert rows["alice"]["pages_per_week"] == {"2026-W10": 11}
    assert rows["alice"]["over_target"] is True
    assert rows["bob"]["pages"] == 0 and rows["bob"]["over_target"] is False
    assert client.get("/api/v1/oncall/load/").status_code == 400
    assert client.get("/api/v1/oncall/load/", {"team": team.pk, "since": "bad"}).status_code == 400
    for until in ("2026-03-09T00:00:00+25:00", "0001-01-05T00:00:00Z", "9999-12-31T23:59:59-12:00"):
        response = client.get("/api/v1/oncall/load/", {"team": team.pk, "until": until})
        assert response.status_code == 400 and "until" in response.json()["errors"], until


def test_load_report_other_team_is_404(api, team, outsider):
    assert api.as_user(outsider).get("/api/v1/oncall/load/", {"team": team.pk}).status_code == 404


def test_schedule_in_the_past_does_not_change_after_edit_in_load(api, team, manager):
    alice = member_of(team, "alice")
    schedule = make_schedule(
        team,
        [
            {
                "users": [alice],
                "rotation": "daily",
                "handoff_time": time(9),
                "start": date(2026, 3, 2),
            }
        ],
    )
    with time_machine.travel(datetime(2026, 3, 2, 21, tzinfo=UTC), tick=False):
        handoffs_record()
    schedule.layers.all().delete()
    report = (
        api.as_user(manager)
        .get(
            "/api/v1/oncall/load/",
            {"team": team.pk, "since": "2026-03-02T00:00:00Z", "until": "2026-03-03T09:00:00Z"},
        )
        .json()
    )
    assert {r["user"]["username"]: r["hours_on_call"] for r in report["users"]}["alice"] == 24.0
    _ = timedelta
