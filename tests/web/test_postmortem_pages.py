"""The action-item board and the postmortem pages through the Django test client:
what they show, the writes they make through the services, team isolation (404) and
query counts that do not grow with rows."""

import datetime
import re
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

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
    assert "I have read the wording warning and want to publish anyway" in page
    response = signed_in.post(f"/postmortems/{pm.pk}/publish/", follow=True)
    message = response.content.decode()
    assert "The wording check found 1 warning." in message
    assert "confirm_blameless_warnings" not in message.split('id="messages"')[1].split("</ul>")[0]
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
    assert response.content.decode().startswith('<section id="postmortem-action-items"')
    assert "Action item “Validate pool size” added." in response.content.decode()
    item = ActionItem.objects.get(postmortem=pm)
    assert item.title == "Validate pool size" and item.owner == member
    response = signed_in.post(
        f"/action-items/{item.pk}/status/",
        {"status": "done", "from": "postmortem"},
        HTTP_HX_REQUEST="true",
    )
    assert 'id="postmortem-action-items"' in response.content.decode()
    assert "“Validate pool size” is now done." in response.content.decode()
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


# --- inline editing: one section or one row at a time ---------------------------------

HX = {"HTTP_HX_REQUEST": "true"}


class _Text(HTMLParser):
    """The text a reader sees: no tags, no attribute values."""

    def __init__(self):
        super().__init__()
        self.parts = []

    def handle_data(self, data):
        self.parts.append(data)


def _visible(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())


def test_whys_are_added_and_removed_one_at_a_time(signed_in, team, member):
    pm = postmortem_for(team=team, actor=member)
    url = f"/postmortems/{pm.pk}/rows/whys/"
    for number in range(1, 6):
        response = signed_in.post(
            url, {"question": f"Why {number}?", "answer": f"Because {number}."}, **HX
        )
        assert response.status_code == 200
        body = response.content.decode()
        # Only the section (and the workflow box, out of band) comes back.
        assert body.startswith('<section id="whys"')
        assert "<html" not in body and 'id="postmortem-action-items"' not in body
        assert '<div id="workflow" class="pm-workflow" hx-swap-oob="true">' in body
        assert f"Why {number}?" in body and "Why added." in body
        assert f"Add why {number + 1}" in body
        assert 'id="new-why-question" name="question" value="" required' in body
    assert [w.question for w in pm.whys.all()] == [f"Why {n}?" for n in range(1, 6)]
    assert [w.position for w in pm.whys.all()] == [0, 1, 2, 3, 4]
    assert pm.history.first().history_user == member

    second = pm.whys.all()[1]
    response = signed_in.post(f"{url}{second.pk}/remove/", **HX)
    assert response.status_code == 200 and "Why removed." in response.content.decode()
    assert "Why 2?" not in response.content.decode()
    assert [w.question for w in pm.whys.all()] == ["Why 1?", "Why 3?", "Why 4?", "Why 5?"]

    first = pm.whys.all()[0]
    signed_in.post(f"{url}{first.pk}/", {"question": "Why did it fail?", "answer": "Pool."}, **HX)
    first.refresh_from_db()
    assert (first.question, first.answer, first.position) == ("Why did it fail?", "Pool.", 0)

    # A blank question is refused in words, nothing is added, what was typed stays.
    response = signed_in.post(url, {"question": " ", "answer": "Typed answer"}, **HX)
    body = response.content.decode()
    assert "Write the question (Why…?)." in body and 'role="alert"' in body
    assert 'value="Typed answer"' in body
    assert pm.whys.count() == 4

    # Without JavaScript: a normal post, then the page again at the section.
    response = signed_in.post(url, {"question": "Why no canary?", "answer": ""})
    assert response.status_code == 302
    assert response["Location"] == f"/postmortems/{pm.pk}/#whys"
    assert pm.whys.last().question == "Why no canary?"
    page = signed_in.get(response["Location"]).content.decode()
    assert "Why added." in page


def test_a_why_with_blame_shows_its_warning_in_the_swapped_section(signed_in, team, member):
    pm = postmortem_for(team=team, actor=member)
    response = signed_in.post(
        f"/postmortems/{pm.pk}/rows/whys/",
        {"question": "Why did it break?", "answer": "Human error during the deploy."},
        **HX,
    )
    body = response.content.decode()
    section = body.split("</section>")[0]
    assert 'class="blameless-warnings"' in section and "Human error" in section
    assert 'id="blameless-summary"' in body  # the workflow box says so too


def test_fishbone_factors_are_added_and_removed(signed_in, team, member):
    pm = postmortem_for(team=team, actor=member)
    url = f"/postmortems/{pm.pk}/rows/factors/"
    response = signed_in.post(
        url, {"category": "technology", "description": "No pool-size validation"}, **HX
    )
    body = response.content.decode()
    assert body.startswith('<section id="fishbone"') and "Factor added." in body
    signed_in.post(url, {"category": "process", "description": "No canary step"}, **HX)
    assert [(f.category, f.description) for f in pm.contributing_factors.all()] == [
        ("technology", "No pool-size validation"),
        ("process", "No canary step"),
    ]
    response = signed_in.post(url, {"category": "weather", "description": "Rain"}, **HX)
    assert "Choose a category." in _visible(response.content.decode())
    factor = pm.contributing_factors.first()
    response = signed_in.post(f"{url}{factor.pk}/remove/", **HX)
    assert "No pool-size validation" not in response.content.decode()
    assert [f.description for f in pm.contributing_factors.all()] == ["No canary step"]


def test_timeline_entries_are_typed_in_the_readers_time_zone(signed_in, team, member):
    from oncall.contacts.models import OnCallPreference

    OnCallPreference.objects.update_or_create(user=member, defaults={"time_zone": "Europe/Berlin"})
    pm = postmortem_for(team=team, actor=member)
    before = pm.timeline_entries.count()
    url = f"/postmortems/{pm.pk}/rows/timeline/"
    response = signed_in.post(
        url, {"occurred_at": "2026-03-12T09:05", "description": "Deploy began"}, **HX
    )
    body = response.content.decode()
    assert body.startswith('<section id="timeline"') and "Entry added." in body
    assert "in your time zone (Europe/Berlin)" in body
    entry = pm.timeline_entries.get(description="Deploy began")
    assert entry.occurred_at == datetime.datetime(2026, 3, 12, 8, 5, tzinfo=datetime.UTC)
    # Shown back in Berlin time, as a <time> element.
    assert '<time datetime="2026-03-12T08:05:00+00:00"' in body and "09:05 CET" in body
    # Saving an entry unchanged keeps its exact instant (seconds included).
    original = pm.timeline_entries.exclude(pk=entry.pk).first()
    shown = timezone.localtime(original.occurred_at, ZoneInfo("Europe/Berlin"))
    signed_in.post(
        f"{url}{original.pk}/",
        {"occurred_at": shown.strftime("%Y-%m-%dT%H:%M"), "description": "Declared, reworded"},
        **HX,
    )
    reread = pm.timeline_entries.get(pk=original.pk)
    assert reread.occurred_at == original.occurred_at
    assert reread.description == "Declared, reworded"
    # A bad time is a message; nothing is added.
    response = signed_in.post(url, {"occurred_at": "soon", "description": "x"}, **HX)
    assert "Give the entry a date and a time" in response.content.decode()
    assert pm.timeline_entries.count() == before + 1
    signed_in.post(f"{url}{entry.pk}/remove/", **HX)
    assert not pm.timeline_entries.filter(pk=entry.pk).exists()


def test_a_text_section_is_saved_alone_and_a_published_one_needs_a_reason(signed_in, team, member):
    pm = postmortem_for(team=team, actor=member)
    response = signed_in.post(
        f"/postmortems/{pm.pk}/sections/impact/",
        {"impact": "Customers could not pay.", "users_affected": "1200"},
        **HX,
    )
    body = response.content.decode()
    assert body.startswith('<section id="section-impact"') and "Impact saved." in body
    pm.refresh_from_db()
    assert (pm.impact, pm.users_affected) == ("Customers could not pay.", 1200)
    response = signed_in.post(
        f"/postmortems/{pm.pk}/sections/impact/", {"impact": "x", "users_affected": "many"}, **HX
    )
    assert "Users affected: Enter a whole number of zero or more." in response.content.decode()

    ready_to_publish(pm, member)
    signed_in.post(f"/postmortems/{pm.pk}/submit/")
    signed_in.post(f"/postmortems/{pm.pk}/publish/")
    pm.refresh_from_db()
    assert pm.is_published
    url = f"/postmortems/{pm.pk}/sections/summary/"
    response = signed_in.post(url, {"summary": "Reworded summary."}, **HX)
    body = response.content.decode()
    assert "This postmortem is published: say why you are changing it" in body
    assert "amendment_reason" not in _visible(body)
    assert "Reworded summary." in body  # what was typed is not lost
    pm.refresh_from_db()
    assert pm.summary != "Reworded summary."
    response = signed_in.post(
        url, {"summary": "Reworded summary.", "amendment_reason": "Clearer wording"}, **HX
    )
    pm.refresh_from_db()
    assert pm.summary == "Reworded summary."
    assert pm.amendments.get().reason == "Clearer wording"


def test_an_open_action_item_is_removed_inline_and_a_started_one_is_not(signed_in, team, member):
    pm = postmortem_for(team=team, actor=member)
    mistake = _item(pm, member, title="Typo item")
    started = _item(pm, member, title="Started item")
    from postmortems import services

    services.action_item_set_status(item=started, actor=member, status="in_progress")
    page = signed_in.get(f"/postmortems/{pm.pk}/").content.decode()
    assert f"/action-items/{mistake.pk}/remove/" in page
    assert f"/action-items/{started.pk}/remove/" not in page
    response = signed_in.post(f"/action-items/{mistake.pk}/remove/", **HX)
    body = response.content.decode()
    assert body.startswith('<section id="postmortem-action-items"')
    assert "Action item “Typo item” removed." in body
    assert not ActionItem.objects.filter(pk=mistake.pk).exists()
    response = signed_in.post(f"/action-items/{started.pk}/remove/", **HX)
    assert "Only an open action item can be removed" in response.content.decode()
    assert ActionItem.objects.filter(pk=started.pk).exists()


def test_no_raw_keys_or_field_names_on_the_pages(signed_in, team, member):
    pm = postmortem_for(team=team, actor=member)
    ready_to_publish(pm, member)
    from postmortems import services

    services.postmortem_update(postmortem=pm, actor=member, what_went_wrong="Human error.")
    item = _item(pm, member, title="Add a canary")
    services.action_item_set_status(item=item, actor=member, status="in_progress")
    signed_in.post(f"/postmortems/{pm.pk}/submit/")
    response = signed_in.post(f"/postmortems/{pm.pk}/publish/", follow=True)
    moved = signed_in.post(
        f"/action-items/{item.pk}/status/", {"status": "open", "from": "postmortem"}, **HX
    )
    refused = signed_in.post(
        f"/action-items/{item.pk}/status/", {"status": "open", "from": "postmortem"}, **HX
    )
    board = signed_in.get("/action-items/")
    pages = {
        "detail after a refused publish": response.content.decode(),
        "status moved": moved.content.decode(),
        "status refused": refused.content.decode(),
        "board": board.content.decode(),
        "list": signed_in.get("/postmortems/").content.decode(),
        "print": signed_in.get(f"/postmortems/{pm.pk}/print/").content.decode(),
    }
    assert "“Add a canary” is now open." in pages["status moved"]
    assert "“Add a canary” is open; it can move to in progress, done, won't do." in _visible(
        pages["status refused"]
    )
    assert (
        "I have read the wording warning and want to publish anyway"
        in pages["detail after a refused publish"]
    )
    raw = re.compile(
        r"\b(in_progress|wont_do|in_review|confirm_blameless_warnings|amendment_reason"
        r"|what_went_wrong|root_cause|due_date)\b"
    )
    for name, html in pages.items():
        assert not raw.search(_visible(html)), (name, raw.search(_visible(html)))


def test_markdown_export_downloads_a_file(signed_in, team, member):
    pm = postmortem_for(team=team, actor=member, title="Checkout errors")
    ready_to_publish(pm, member)
    page = signed_in.get(f"/postmortems/{pm.pk}/").content.decode()
    link = re.search(r'id="export-markdown" href="([^"]+)"', page).group(1)
    assert 'id="print-view" href="/postmortems/' in page
    response = signed_in.get(link)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/markdown; charset=utf-8"
    reference = pm.incident.reference
    assert response["Content-Disposition"] == f'attachment; filename="postmortem-{reference}.md"'
    text = response.content.decode()
    assert text.startswith(f"# Postmortem: {reference} Checkout errors")
    assert "Why did checkout fail?" in text


@pytest.mark.parametrize(
    ("method", "suffix"),
    [
        ("post", "rows/whys/"),
        ("post", "rows/whys/ROW/"),
        ("post", "rows/whys/ROW/remove/"),
        ("post", "sections/summary/"),
        ("get", "markdown/"),
    ],
)
def test_the_inline_forms_are_team_scoped(client, member, other_team, outsider, method, suffix):
    from postmortems import services

    pm = postmortem_for(team=other_team, actor=outsider)
    services.postmortem_update(
        postmortem=pm, actor=outsider, whys=[{"question": "Theirs?", "answer": ""}]
    )
    why = pm.whys.get()
    client.force_login(member)
    url = f"/postmortems/{pm.pk}/{suffix.replace('ROW', str(why.pk))}"
    data = {"question": "Mine?", "summary": "x"} if method == "post" else {}
    assert getattr(client, method)(url, data, **HX).status_code == 404
    assert [w.question for w in pm.whys.all()] == ["Theirs?"]
    pm.refresh_from_db()
    assert pm.summary == ""


def test_unknown_sections_and_rows_are_not_found(signed_in, team, member):
    pm = postmortem_for(team=team, actor=member)
    assert signed_in.post(f"/postmortems/{pm.pk}/rows/owners/", {}).status_code == 404
    assert signed_in.post(f"/postmortems/{pm.pk}/sections/whys/", {}).status_code == 404
    assert signed_in.post(f"/postmortems/{pm.pk}/rows/whys/999999/remove/").status_code == 404


def test_rows_of_a_published_postmortem_change_only_with_a_reason(signed_in, team, member):
    from postmortems import services

    pm = postmortem_for(team=team, actor=member)
    ready_to_publish(pm, member)
    services.postmortem_submit(postmortem=pm, actor=member)
    services.postmortem_publish(postmortem=pm, actor=member)
    page = signed_in.get(f"/postmortems/{pm.pk}/").content.decode()
    assert 'name="amendment_reason" required' in page
    url = f"/postmortems/{pm.pk}/rows/whys/"
    response = signed_in.post(url, {"question": "Why no alert?", "answer": "None set."}, **HX)
    assert "say why you are changing it" in response.content.decode()
    assert pm.whys.count() == 2
    signed_in.post(
        url,
        {"question": "Why no alert?", "answer": "None set.", "amendment_reason": "Found later"},
        **HX,
    )
    assert [w.question for w in pm.whys.all()][-1] == "Why no alert?"
    amendment = pm.amendments.get()
    assert amendment.reason == "Found later" and amendment.author == member
    assert list(amendment.changes) == ["whys"]
