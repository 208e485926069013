"""The postmortem and action-item API: the new-user path, errors, team isolation and
query counts."""

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.core import mail

from outbox.services import outbox_send_due
from postmortems import services
from postmortems.models import ActionItem, Postmortem
from tests.oncall.factories import TeamMembershipFactory, UserFactory
from tests.postmortems.factories import ActionItemFactory, postmortem_for, ready_to_publish

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
pytestmark = pytest.mark.django_db


def test_a_new_user_resolves_writes_publishes_and_the_beat_emails_once(api, team, member, manager):
    """The whole story: a SEV1 is resolved, the draft waits with its timeline, the team
    writes it, adds action items and publishes; the beat e-mails the owner of a late
    postmortem and of an overdue action item exactly once."""
    client = api.as_user(member)
    with time_machine.travel(T0, tick=False):
        created = client.post(
            "/api/v1/incidents/",
            {"team": team.pk, "title": "Checkout down", "severity": "SEV1", "commander": member.pk},
        )
        assert created.status_code == 201, created.json()
        incident_id = created.json()["id"]
    with time_machine.travel(T0 + timedelta(minutes=30), tick=False):
        assert client.post(f"/api/v1/incidents/{incident_id}/resolve/", {}).status_code == 200

    listing = client.get("/api/v1/postmortems/", {"incident": incident_id}).json()
    assert listing["count"] == 1
    pm_id = listing["results"][0]["id"]
    detail = client.get(f"/api/v1/postmortems/{pm_id}/").json()
    assert detail["status"] == "draft"
    assert detail["due_at"] == "2026-03-04T09:30:00Z"
    assert detail["owner"]["username"] == "marco"
    assert [e["description"].split(":")[0] for e in detail["timeline_entries"]] == [
        "Declared",
        "Resolved",
    ]
    assert detail["duration_seconds"] == 1800

    with time_machine.travel(T0 + timedelta(hours=5), tick=False):
        patched = client.patch(
            f"/api/v1/postmortems/{pm_id}/",
            {
                "summary": "Checkout failed for 30 minutes.",
                "root_cause": "A config deploy lowered the DB pool limit without a canary.",
                "users_affected": 1200,
                "whys": [
                    {"question": "Why did checkout fail?", "answer": "The pool was exhausted."},
                    {"question": "Why?", "answer": "No validation of pool limits."},
                ],
                "contributing_factors": [
                    {"category": "process", "description": "Config skips the canary."}
                ],
                "reviewers": [manager.pk],
            },
        )
        assert patched.status_code == 200, patched.json()
        item = client.post(
            "/api/v1/action-items/",
            {
                "postmortem": pm_id,
                "title": "Validate pool limits in CI",
                "owner": member.pk,
                "priority": "P1",
                "due_date": "2026-03-09",
                "kind": "preventive",
            },
        )
        assert item.status_code == 201, item.json()
        assert item.json()["incident"] == incident_id
        assert client.post(f"/api/v1/postmortems/{pm_id}/submit/").status_code == 200
        check = client.get(f"/api/v1/postmortems/{pm_id}/blameless-check/").json()
        assert check == {"count": 0, "warnings": []}
        published = client.post(f"/api/v1/postmortems/{pm_id}/publish/", {})
        assert published.status_code == 200, published.json()
    assert published.json()["status"] == "published"
    assert published.json()["published_at"] == "2026-03-02T14:00:00Z"

    md = client.get(f"/api/v1/postmortems/{pm_id}/markdown/")
    assert md.status_code == 200
    assert md["Content-Type"] == "text/markdown; charset=utf-8"
    assert "| Validate pool limits in CI | marco | P1 | 2026-03-09 | Open |" in md.content.decode()

    # The beat on the day after the item's due date, twice: one reminder, one digest.
    for minute in (5, 6):
        with time_machine.travel(datetime(2026, 3, 10, 8, minute, tzinfo=UTC), tick=False):
            services.action_item_remind_overdue()
            services.postmortem_enforce_sla()
            outbox_send_due()
    assert sorted((m.to[0], m.subject) for m in mail.outbox) == [
        ("marco@example.com", "[Tocsin] Action item overdue (1 d): Validate pool limits in CI"),
        ("priya@example.com", "[Tocsin] Payments: 1 overdue action item(s)"),
    ]


def test_a_late_postmortem_emails_its_owner_exactly_once(api, team, member, postmortem):
    for hours in (49, 49.25, 49.5):
        with time_machine.travel(T0 + timedelta(hours=hours), tick=False):
            services.postmortem_enforce_sla()
            outbox_send_due()
    assert sorted(m.to[0] for m in mail.outbox) == ["marco@example.com", "priya@example.com"]
    body = api.as_user(member).get(f"/api/v1/postmortems/{postmortem.pk}/").json()
    assert body["sla_breached_at"] == "2026-03-04T10:00:00Z"
    assert body["overdue"] is True
    assert body["completed_at"] is None
    breached = api.get("/api/v1/postmortems/", {"breached": "true"}).json()
    assert [r["id"] for r in breached["results"]] == [postmortem.pk]
    assert api.get("/api/v1/postmortems/", {"breached": "false"}).json()["count"] == 0


def test_publish_with_warnings_needs_confirmation(api, member, postmortem):
    ready_to_publish(postmortem, member)
    services.postmortem_update(
        postmortem=postmortem, actor=member, root_cause="Human error by @marco."
    )
    services.postmortem_submit(postmortem=postmortem, actor=member)
    client = api.as_user(member)
    check = client.get(f"/api/v1/postmortems/{postmortem.pk}/blameless-check/").json()
    assert [w["rule"] for w in check["warnings"]] == ["human_error", "handle"]
    assert check["warnings"][0]["field"] == "root_cause"
    assert check["warnings"][0]["suggestion"]

    refused = client.post(f"/api/v1/postmortems/{postmortem.pk}/publish/", {})
    assert refused.status_code == 409
    assert len(refused.json()["warnings"]) == 2
    assert "confirm_blameless_warnings" in refused.json()["errors"]
    ok = client.post(
        f"/api/v1/postmortems/{postmortem.pk}/publish/", {"confirm_blameless_warnings": True}
    )
    assert ok.status_code == 200
    history = client.get(f"/api/v1/postmortems/{postmortem.pk}/history/").json()
    assert history[-1]["history_change_reason"] == (
        "Published with 2 blameless warning(s) confirmed by marco"
    )
    assert history[-1]["history_user"] == "marco"


def test_publish_errors_are_field_errors(api, member, postmortem):
    client = api.as_user(member)
    assert client.post(f"/api/v1/postmortems/{postmortem.pk}/publish/").status_code == 409
    client.post(f"/api/v1/postmortems/{postmortem.pk}/submit/")
    response = client.post(f"/api/v1/postmortems/{postmortem.pk}/publish/")
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"summary", "root_cause", "whys"}
    assert response.json()["detail"] == "The postmortem is not ready to publish."


def test_published_postmortem_needs_amendment_reason(api, member, postmortem):
    ready_to_publish(postmortem, member)
    services.postmortem_submit(postmortem=postmortem, actor=member)
    services.postmortem_publish(postmortem=postmortem, actor=member)
    client = api.as_user(member)
    url = f"/api/v1/postmortems/{postmortem.pk}/"
    refused = client.patch(url, {"summary": "New"})
    assert refused.status_code == 409
    assert "amendment_reason" in refused.json()["errors"]
    ok = client.patch(url, {"summary": "New", "amendment_reason": "Typo"})
    assert ok.status_code == 200
    assert ok.json()["amendments"][0]["reason"] == "Typo"
    assert ok.json()["amendments"][0]["changes"]["summary"][1] == "New"


@pytest.mark.parametrize(
    ("payload", "fields"),
    [
        ({}, {"title", "owner", "priority", "due_date"}),
        (
            {"title": "x", "owner": "OWNER", "priority": "P9", "due_date": "2026-03-01"},
            {"priority"},
        ),
        (
            {"title": "x", "owner": "OWNER", "priority": "P1", "due_date": "not a date"},
            {"due_date"},
        ),
        (
            {"title": "x", "owner": "OWNER", "priority": "P1", "due_date": "2026-03-01"},
            {"postmortem", "incident"},
        ),
        (
            {
                "title": "x",
                "owner": "OWNER",
                "priority": "P1",
                "due_date": "2026-03-01",
                "incident": "INCIDENT",
                "status": "done",
            },
            {"status"},
        ),
    ],
)
def test_action_item_create_errors_are_400_with_field_errors(
    api, member, incident, payload, fields
):
    payload = {
        k: member.pk if v == "OWNER" else incident.pk if v == "INCIDENT" else v
        for k, v in payload.items()
    }
    response = api.as_user(member).post("/api/v1/action-items/", payload)
    assert response.status_code == 400, response.json()
    assert set(response.json()["errors"]) == fields


def test_action_item_owner_must_be_a_team_member(api, member, outsider, incident):
    response = api.as_user(member).post(
        "/api/v1/action-items/",
        {
            "incident": incident.pk,
            "title": "x",
            "owner": outsider.pk,
            "priority": "P2",
            "due_date": "2026-03-20",
        },
    )
    assert response.status_code == 400
    assert response.json()["errors"] == {"owner": ["olivia is not a member of the team."]}


def test_action_item_status_flow(api, member, incident):
    item = ActionItemFactory(actor=member, incident=incident, owner=member)
    client = api.as_user(member)
    url = f"/api/v1/action-items/{item.pk}/status/"
    assert client.post(url, {"status": "in_progress"}).json()["status"] == "in_progress"
    wont = client.post(url, {"status": "wont_do"})
    assert wont.status_code == 400
    assert wont.json()["errors"] == {"reason": ["Required for wont_do."]}
    with time_machine.travel(T0, tick=False):
        done = client.post(url, {"status": "done"}).json()
    assert done["completed_at"] == "2026-03-02T09:00:00Z"
    assert client.post(url, {"status": "done"}).status_code == 409
    assert client.post(url, {"status": "bogus"}).status_code == 400
    reopened = client.post(url, {"status": "open"}).json()
    assert reopened["completed_at"] is None
    wont = client.post(url, {"status": "wont_do", "reason": "Superseded by PAY-9"}).json()
    assert wont["wont_do_reason"] == "Superseded by PAY-9"
    patched = client.patch(f"/api/v1/action-items/{item.pk}/", {"status": "done"})
    assert patched.status_code == 400
    assert "status" in patched.json()["errors"]
    assert ActionItem.objects.get(pk=item.pk).history.count() == 5


def test_filters_mine_and_board(api, team, member, manager, incident):
    with time_machine.travel(datetime(2026, 3, 15, 9, 0, tzinfo=UTC), tick=False):
        late = ActionItemFactory(
            actor=member, incident=incident, owner=member, due_date=date(2026, 3, 1), title="Late"
        )
        ActionItemFactory(
            actor=member, incident=incident, owner=member, due_date=date(2026, 3, 30), title="Soon"
        )
        ActionItemFactory(
            actor=member, incident=incident, owner=manager, due_date=date(2026, 3, 2), title="Mgr"
        )
        ActionItemFactory(
            actor=member,
            incident=incident,
            owner=member,
            due_date=date(2026, 3, 25),
            priority="P0",
            title="Urgent",
        )
        client = api.as_user(member)
        titles = lambda r: [i["title"] for i in r.json()["results"]]  # noqa: E731
        assert titles(client.get("/api/v1/action-items/", {"owner": "me"})) == [
            "Late",
            "Urgent",
            "Soon",
        ]
        assert titles(client.get("/api/v1/action-items/", {"overdue": "true"})) == ["Late", "Mgr"]
        assert titles(client.get("/api/v1/action-items/", {"priority": "P0"})) == ["Urgent"]
        assert titles(client.get("/api/v1/action-items/", {"owner": manager.pk})) == ["Mgr"]
        assert client.get("/api/v1/action-items/", {"owner": "nobody"}).status_code == 400
        assert titles(client.get("/api/v1/action-items/mine/")) == ["Late", "Urgent", "Soon"]
        first = client.get("/api/v1/action-items/mine/").json()["results"][0]
        assert first["overdue"] is True
        assert first["due_at"] == "2026-03-02T00:00:00Z"
        assert first["sla_breached_at"] is None  # the beat has not seen it yet

        board = client.get("/api/v1/action-items/board/", {"team": team.pk}).json()
    assert [i["title"] for i in board["columns"]["open"]] == ["Late", "Mgr", "Urgent", "Soon"]
    assert board["columns"]["done"] == []
    assert board["owners"] == [
        {"owner": {"id": member.pk, "username": "marco"}, "open": 3, "overdue": 1},
        {"owner": {"id": manager.pk, "username": "priya"}, "open": 1, "overdue": 1},
    ]
    assert late.pk == board["columns"]["open"][0]["id"]


def test_another_teams_postmortems_and_items_are_not_found(
    api, team, member, outsider, postmortem, incident
):
    item = ActionItemFactory(actor=member, postmortem=postmortem, owner=member)
    client = api.as_user(outsider)
    base = f"/api/v1/postmortems/{postmortem.pk}"
    assert client.get(f"{base}/").status_code == 404
    assert client.patch(f"{base}/", {"summary": "x"}).status_code == 404
    for path in ("submit/", "publish/", "request-changes/"):
        assert client.post(f"{base}/{path}").status_code == 404
    for path in ("markdown/", "blameless-check/", "history/"):
        assert client.get(f"{base}/{path}").status_code == 404
    assert client.get("/api/v1/postmortems/").json()["count"] == 0
    assert client.get(f"/api/v1/action-items/{item.pk}/").status_code == 404
    assert (
        client.post(f"/api/v1/action-items/{item.pk}/status/", {"status": "done"}).status_code
        == 404
    )
    assert client.get("/api/v1/action-items/").json()["count"] == 0
    # Creating against another team's incident or postmortem does not reveal it.
    for ref in ({"incident": incident.pk}, {"postmortem": postmortem.pk}):
        response = client.post(
            "/api/v1/action-items/",
            {"title": "x", "owner": outsider.pk, "priority": "P1", "due_date": "2026-03-20", **ref},
        )
        assert response.status_code == 400
        assert "among your teams" in next(iter(response.json()["errors"].values()))[0]
    assert client.post("/api/v1/postmortems/", {"incident": incident.pk}).status_code == 400
    assert client.get("/api/v1/postmortems/abc/").status_code == 404
    assert client.get("/api/v1/postmortems/99999999999999999999999/").status_code == 404


def test_create_postmortem_on_request_and_conflict(api, member, incident):
    client = api.as_user(member)
    created = client.post("/api/v1/postmortems/", {"incident": incident.pk})
    assert created.status_code == 201
    assert created.json()["due_at"] is None
    again = client.post("/api/v1/postmortems/", {"incident": incident.pk})
    assert again.status_code == 409
    assert again.json()["postmortem"] == created.json()["id"]


@pytest.mark.parametrize(
    "payload",
    [
        {"whys": [{"question": "Q", "answer": "A", "blame": "x"}]},
        {"whys": "not a list"},
        {"whys": [{"id": "abc", "question": "Q"}]},
        {"contributing_factors": [{"category": "luck", "description": "d"}]},
        {"timeline_entries": [{"occurred_at": "yesterday", "description": "d"}]},
        {"users_affected": -1},
        {"estimated_revenue_loss": "lots"},
        {"reviewers": [999999]},
        {"status": "published"},
        {},
    ],
)
def test_bad_postmortem_updates_are_400(api, member, postmortem, payload):
    response = api.as_user(member).patch(f"/api/v1/postmortems/{postmortem.pk}/", payload)
    assert response.status_code == 400, response.json()
    assert response.json()["detail"]


def test_markdown_can_be_asked_for_by_accept_header(api, member, postmortem):
    client = api.as_user(member)
    response = client.get(
        f"/api/v1/postmortems/{postmortem.pk}/markdown/", HTTP_ACCEPT="text/markdown"
    )
    assert response.status_code == 200
    assert response.content.decode().startswith("# Postmortem: PAY-1")
    missing = client.get("/api/v1/postmortems/0/markdown/", HTTP_ACCEPT="text/markdown")
    assert missing.status_code == 404


def test_unauthenticated_is_rejected(api, postmortem):
    assert api.get("/api/v1/postmortems/").status_code in (401, 403)
    assert api.get("/api/v1/action-items/").status_code in (401, 403)


def _make_rows(team, member, count):
    with time_machine.travel(T0, tick=False):
        for _ in range(count):
            pm = postmortem_for(team=team, actor=member, severity="SEV2")
            ActionItemFactory(actor=member, postmortem=pm, owner=member)


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/postmortems/",
        "/api/v1/action-items/",
        "/api/v1/action-items/?owner=me",
        "/api/v1/action-items/mine/",
        "/api/v1/action-items/board/",
    ],
)
def test_list_query_counts_do_not_grow_with_rows(
    api, team, member, django_assert_max_num_queries, url
):
    client = api.as_user(member)
    _make_rows(team, member, 2)
    with django_assert_max_num_queries(3):
        small = client.get(url)
    assert small.status_code == 200
    _make_rows(team, member, 8)
    with django_assert_max_num_queries(3):
        big = client.get(url)
    assert big.status_code == 200
    assert big.content != small.content


def test_detail_query_count_does_not_grow_with_sections(
    api, team, member, manager, postmortem, django_assert_max_num_queries
):
    client = api.as_user(member)
    services.postmortem_update(
        postmortem=postmortem,
        actor=member,
        whys=[{"question": f"Q{i}", "answer": "A"} for i in range(5)],
        contributing_factors=[{"category": "process", "description": f"F{i}"} for i in range(5)],
        reviewers=[member, manager],
    )
    for _ in range(5):
        ActionItemFactory(actor=member, postmortem=postmortem, owner=member)
    with django_assert_max_num_queries(8):
        assert client.get(f"/api/v1/postmortems/{postmortem.pk}/").status_code == 200
    with django_assert_max_num_queries(8):
        assert client.get(f"/api/v1/postmortems/{postmortem.pk}/markdown/").status_code == 200


def test_staff_see_every_team(api, staff, postmortem):
    assert api.as_user(staff).get("/api/v1/postmortems/").json()["count"] == 1


def test_a_new_member_can_own_items(api, team, member, incident):
    newcomer = UserFactory(username="lena")
    TeamMembershipFactory(team=team, user=newcomer)
    response = api.as_user(member).post(
        "/api/v1/action-items/",
        {
            "incident": incident.pk,
            "title": "Write runbook",
            "owner": newcomer.pk,
            "priority": "P3",
            "due_date": "2026-04-01",
        },
    )
    assert response.status_code == 201
    assert response.json()["postmortem"] is None
    assert Postmortem.objects.count() == 0


def test_extreme_values_are_handled(api, member, incident, postmortem):
    client = api.as_user(member)
    far = client.post(
        "/api/v1/action-items/",
        {
            "incident": incident.pk,
            "title": "Someday",
            "owner": member.pk,
            "priority": "P3",
            "due_date": "9999-12-31",
        },
    )
    assert far.status_code == 201
    assert far.json()["due_at"] is None
    assert far.json()["overdue"] is False
    huge = 10**30
    assert client.get("/api/v1/action-items/", {"owner": huge}).status_code == 400
    assert client.get("/api/v1/postmortems/", {"team": "abc"}).status_code == 400
    response = client.patch(
        f"/api/v1/postmortems/{postmortem.pk}/", {"whys": [{"id": huge, "question": "Q"}]}
    )
    assert response.status_code == 400
    response = client.patch(f"/api/v1/postmortems/{postmortem.pk}/", {"reviewers": [huge]})
    assert response.status_code == 400
    assert client.post("/api/v1/postmortems/", ["not", "a", "dict"]).status_code == 400
