"""The action-item board and the postmortem pages through the Django test client:
what they show, the writes they make through the services, team isolation (404) and
query counts that do not grow with rows."""

import datetime

import pytest

from postmortems.models import ActionItem, Postmortem
from tests.postmortems.factories import ActionItemFactory, postmortem_for, ready_to_publish

NOW = datetime.datetime(2026, 3, 12, 10, 0, tzinfo=datetime.UTC)


pytestmark = pytest.mark.usefixtures("clock")  # every test runs at NOW, frozen


@pytest.fixture
def clock_start():
    return NOW


def _item(postmortem, owner, **kwargs):
    return ActionItemFactory(actor=owner, postmortem=postmortem, owner=owner, **kwargs)


# --- action items ---------------------------------------------------------------------


def test_board_columns_by_status_overdue_first_and_owner_counts(signed_in, team, member, manager):
    pm = postmortem_for(team=team, actor=member)
    late = _item(pm, member, title="Late item", due_date=datetime.date(2026, 3, 1))
    _item(pm, manager, title="Future item", due_date=datetime.date(2026, 4, 1))
    done = _item(pm, member, title="Done item", due_date=datetime.date(2026, 3, 1))
    from postmortems import services

    services.action_item_set_status(item=done, actor=member, status="done")
    response = signed_in.get("/action-items/")
    assert response.status_code == 200
    columns = {status: [i.title for i in items] for status, _, items in response.context["columns"]}
    assert columns["open"][0] == "Late item"
    assert columns["open"] == ["Late item", "Future item"]
    assert columns["done"] == ["Done item"]
    body = response.content.decode()
    assert f'id="action-item-{late.pk}"' in body and "overdue" in body
    owners = {
        row["owner"].username: (row["open"], row["overdue"]) for row in response.context["owners"]
    }
    assert owners == {"marco": (1, 1), "priya": (1, 0)}


def test_board_mine_filter(signed_in, team, member, manager):
    pm = postmortem_for(team=team, actor=member)
    _item(pm, member, title="Mine")
    _item(pm, manager, title="Not mine")
    response = signed_in.get("/action-items/", {"mine": "1"})
    titles = [i.title for _, _, items in response.context["columns"] for i in items]
    assert titles == ["Mine"]


def test_one_click_status_change_with_htmx_swaps_the_board(signed_in, team, member):
    pm = postmortem_for(team=team, actor=member)
    item = _item(pm, member, title="Add a canary")
    response = signed_in.post(
        f"/action-items/{item.pk}/status/", {"status": "in_progress"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert body.startswith('<div id="board">')
    item.refresh_from_db()
    assert item.status == "in_progress"
    assert item.history.first().history_user == member
    # Won't do without a reason is refused and shown as a message.
    response = signed_in.post(
        f"/action-items/{item.pk}/status/", {"status": "wont_do"}, HTTP_HX_REQUEST="true"
    )
    assert "Say why" in response.content.decode()
    item.refresh_from_db()
    assert item.status == "in_progress"
    # Without JavaScript: post and redirect.
    response = signed_in.post(f"/action-items/{item.pk}/status/", {"status": "done"})
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.status == "done"


def test_board_and_status_change_are_team_scoped(client, team, other_team, member, outsider):
    pm = postmortem_for(team=other_team, actor=outsider)
    theirs = _item(pm, outsider, title="Their item")
    client.force_login(member)
    response = client.get("/action-items/")
    assert "Their item" not in response.content.decode()
    assert client.get("/action-items/", {"team": other_team.pk}).status_code == 404
    assert client.post(f"/action-items/{theirs.pk}/status/", {"status": "done"}).status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == "open"


def test_board_query_count_does_not_grow(
    signed_in, team, member, manager, django_assert_max_num_queries
):
    pm = postmortem_for(team=team, actor=member)
    _item(pm, member)
    with django_assert_max_num_queries(20) as few:
        assert signed_in.get("/action-items/").status_code == 200
    for index in range(8):
        _item(pm, manager if index % 2 else member, due_date=datetime.date(2026, 3, 1 + index))
    other = postmortem_for(team=team, actor=member)
    _item(other, member)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert signed_in.get("/action-items/").status_code == 200


# --- postmortems ----------------------------------------------------------------------


def test_postmortem_list_filters(signed_in, team, member):
    draft = postmortem_for(team=team, actor=member, title="Checkout errors")
    breached = postmortem_for(team=team, actor=member, title="Search slow")
    breached.sla_breached_at = NOW
    breached.save(update_fields=["sla_breached_at"])

    def titles(**params):
        response = signed_in.get("/postmortems/", params)
        assert response.status_code == 200
        return sorted(p.incident.title for p in response.context["page"].object_list)

    assert titles() == ["Checkout errors", "Search slow"]
    assert titles(breached="1") == ["Search slow"]
    assert titles(status="published") == []
    assert titles(status="draft", team=team.pk) == ["Checkout errors", "Search slow"]
    assert draft.pk


def test_editor_shows_sections_whys_fishbone_and_blameless_warnings(signed_in, team, member):
    pm = postmortem_for(team=team, actor=member, title="Checkout errors")
    from postmortems import services

    services.postmortem_update(
        postmortem=pm,
        actor=member,
        root_cause="It was human error during the deploy.",
        whys=[{"question": "Why did it fail?", "answer": "The pool was exhausted."}],
        contributing_factors=[
            {"category": "technology", "description": "No pool-size validation"},
            {"category": "process", "description": "No canary step"},
        ],
    )
    response = signed_in.get(f"/postmortems/{pm.pk}/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "Why did it fail?" in body and "No canary step" in body
    bones = {
        b["label"]: [r["factor"].description for r in b["factors"]]
        for b in response.context["fishbone"]
    }
    assert bones["Technology"] == ["No pool-size validation"]
    assert bones["Process"] == ["No canary step"]
    root = next(s for s in response.context["sections"] if s["name"] == "root_cause")
    assert [w.rule for w in root["warnings"]] == ["human_error"]
    assert 'class="blameless-warnings"' in body and "human error" in body


def test_editor_saves_sections_whys_factors_and_timeline(signed_in, team, member):
    pm = postmortem_for(team=team, actor=member)
    page = signed_in.get(f"/postmortems/{pm.pk}/")
    timeline = page.context["timeline"]
    assert timeline  # prefilled from the incident
    data = {
        "summary": "Checkout failed for 40 minutes.",
        "root_cause": "A config change lowered the pool size without validation.",
        "impact": "Customers could not pay.",
        "users_affected": "1200",
        "why-id": ["", ""],
        "why-question": ["Why did checkout fail?", "Why was the pool small?"],
        "why-answer": ["The pool was exhausted.", "No check validates the limit."],
        "factor-id": [""],
        "factor-category": ["technology"],
        "factor-description": ["Pool size not validated"],
        "entry-id": [str(row["entry"].pk) for row in timeline] + [""],
        "entry-occurred_at": [row["value"] for row in timeline] + ["2026-03-12T09:00:00"],
        "entry-description": [row["entry"].description for row in timeline] + ["Deploy began"],
    }
    response = signed_in.post(f"/postmortems/{pm.pk}/save/", data)
    assert response.status_code == 302
    pm.refresh_from_db()
    assert pm.summary == "Checkout failed for 40 minutes."
    assert pm.users_affected == 1200
    assert [w.question for w in pm.whys.all()] == [
        "Why did checkout fail?",
        "Why was the pool small?",
    ]
    assert [f.category for f in pm.contributing_factors.all()] == ["technology"]
    entries = list(pm.timeline_entries.order_by("occurred_at"))
    assert len(entries) == len(timeline) + 1
    assert entries[0].description == "Deploy began"
    assert pm.history.first().history_user == member
    # Clearing a why removes it.
    whys = list(pm.whys.all())
    response = signed_in.post(
        f"/postmortems/{pm.pk}/save/",
        {
            "why-id": [str(whys[0].pk), str(whys[1].pk)],
            "why-question": ["Why did checkout fail?", ""],
            "why-answer": ["The pool was exhausted.", ""],
        },
    )
    assert [w.question for w in pm.whys.all()] == ["Why did checkout fail?"]
    # A bad number is a message, not a 500.
    response = signed_in.post(
        f"/postmortems/{pm.pk}/save/", {"users_affected": "many"}, follow=True
    )
    assert response.status_code == 200
    assert "whole number" in response.content.decode()
    # So is an impossible or out-of-range timeline time.
    for bad in ("2026-02-30T10:00:00", "0001-01-01T00:00:00+14:00"):
        response = signed_in.post(
            f"/postmortems/{pm.pk}/save/",
            {"entry-id": [""], "entry-occurred_at": [bad], "entry-description": ["x"]},
            follow=True,
        )
        assert response.status_code == 200
        assert "Give each entry a time" in response.content.decode()


def test_submit_and_publish_with_confirmation_when_warnings_exist(signed_in, team, member):
    pm = postmortem_for(team=team, actor=member)
    ready_to_publish(pm, member)
    from postmortems import services

    services.postmortem_update(postmortem=pm, actor=member, what_went_wrong="Human error.")
    signed_in.post(f"/postmortems/{pm.pk}/submit/")
    pm.refresh_from_db()
    assert pm.status == "in_review"
    page = signed_in.get(f"/postmortems/{pm.pk}/").content.decode()
    assert 'name="confirm_blameless_warnings"' in page
    response = signed_in.post(f"/postmortems/{pm.pk}/publish/", follow=True)
    assert "blameless check found 1 warning" in response.content.decode()
    pm.refresh_from_db()
    assert pm.status == "in_review"
    signed_in.post(f"/postmortems/{pm.pk}/publish/", {"confirm_blameless_warnings": "1"})
    pm.refresh_from_db()
    assert pm.status == "published" and pm.approved_by == member
    assert len(pm.confirmed_blameless_warnings) == 1


def test_action_items_inline_add_and_status(signed_in, team, member):
    pm = postmortem_for(team=team, actor=member)
    response = signed_in.post(
        f"/postmortems/{pm.pk}/action-items/",
        {
            "title": "Validate pool size",
            "owner": member.pk,
            "priority": "P1",
            "kind": "preventive",
            "due_date": "2026-04-01",
        },
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert response.content.decode().startswith('<section id="postmortem-action-items">')
    item = ActionItem.objects.get(postmortem=pm)
    assert item.title == "Validate pool size" and item.owner == member
    response = signed_in.post(
        f"/action-items/{item.pk}/status/",
        {"status": "done", "from": "postmortem"},
        HTTP_HX_REQUEST="true",
    )
    assert 'id="postmortem-action-items"' in response.content.decode()
    item.refresh_from_db()
    assert item.status == "done"
    # Missing owner: a message, nothing created.
    signed_in.post(f"/postmortems/{pm.pk}/action-items/", {"title": "x", "due_date": "nope"})
    assert ActionItem.objects.filter(postmortem=pm).count() == 1


def test_print_view_is_clean_and_complete(signed_in, team, member):
    pm = postmortem_for(team=team, actor=member, title="Checkout errors")
    ready_to_publish(pm, member)
    _item(pm, member, title="Validate pool size")
    response = signed_in.get(f"/postmortems/{pm.pk}/print/")
    body = response.content.decode()
    assert response.status_code == 200
    assert "<header>" not in body and "<form" not in body and "htmx" not in body
    for text in ("Checkout errors", "Why did checkout fail?", "Validate pool size", "Timeline"):
        assert text in body


@pytest.mark.parametrize("suffix", ["", "print/"])
def test_another_teams_postmortem_is_not_found(client, member, other_team, outsider, suffix):
    pm = postmortem_for(team=other_team, actor=outsider, title="Their incident")
    client.force_login(member)
    assert client.get(f"/postmortems/{pm.pk}/{suffix}").status_code == 404
    assert client.post(f"/postmortems/{pm.pk}/save/", {"summary": "x"}).status_code == 404
    assert client.post(f"/postmortems/{pm.pk}/submit/").status_code == 404
    assert "Their incident" not in client.get("/postmortems/").content.decode()
    assert client.get("/postmortems/", {"team": other_team.pk}).status_code == 404
    pm.refresh_from_db()
    assert pm.summary != "x" and pm.status == "draft"


@pytest.mark.parametrize("path", ["LIST", "DETAIL", "PRINT"])
def test_postmortem_pages_query_count_does_not_grow(
    signed_in, team, member, path, django_assert_max_num_queries
):
    from postmortems import services

    first = postmortem_for(team=team, actor=member)

    def url():
        return {
            "LIST": "/postmortems/",
            "DETAIL": f"/postmortems/{first.pk}/",
            "PRINT": f"/postmortems/{first.pk}/print/",
        }[path]

    with django_assert_max_num_queries(30) as few:
        assert signed_in.get(url()).status_code == 200
    for _ in range(4):
        postmortem_for(team=team, actor=member)
    for _ in range(4):
        _item(first, member)
    services.postmortem_update(
        postmortem=first,
        actor=member,
        whys=[{"question": f"Why {i}?", "answer": "Because."} for i in range(5)],
        contributing_factors=[
            {"category": c, "description": f"factor {c}"}
            for c in ("people", "process", "technology", "environment")
        ],
    )
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert signed_in.get(url()).status_code == 200
    assert Postmortem.objects.count() == 5
