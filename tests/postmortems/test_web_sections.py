"""The postmortem sections of the web pages: "Postmortems I owe" and "My action items"
on the home page, "Postmortem" on the incident page; their queries do not grow."""

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine

from postmortems import services
from tests.incidents.factories import IncidentFactory
from tests.postmortems.factories import (
    ActionItemFactory,
    postmortem_for,
    ready_to_publish,
    resolved_incident,
)

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
LATER = T0 + timedelta(hours=72)  # the SLA (48 h) of T0's postmortems has passed


def _home(client):
    with time_machine.travel(LATER, tick=False):
        response = client.get("/")
    assert response.status_code == 200
    return response.content.decode()


def test_home_lists_the_postmortems_i_owe_with_overdue_marked(signed_in, team, member, manager):
    with time_machine.travel(T0, tick=False):
        overdue = postmortem_for(team=team, actor=member, severity="SEV1")
        published = postmortem_for(team=team, actor=member, severity="SEV1")
        postmortem_for(team=team, actor=manager, severity="SEV1")  # the manager's
    with time_machine.travel(LATER - timedelta(hours=2), tick=False):
        due_soon = postmortem_for(team=team, actor=member, severity="SEV2")
    ready_to_publish(published, member)
    services.postmortem_submit(postmortem=published, actor=member)
    with time_machine.travel(T0 + timedelta(hours=1), tick=False):
        services.postmortem_publish(postmortem=published, actor=member)

    html = _home(signed_in)
    assert '<section id="section-postmortems-owed"><h2>Postmortems I owe</h2>' in html
    owed = html.split('id="postmortems-owed"')[1].split("</table>")[0]
    assert f'class="overdue" data-postmortem="{overdue.pk}"' in owed
    assert f'<tr data-postmortem="{due_soon.pk}">' in owed
    assert owed.index(f'"{overdue.pk}"') < owed.index(f'"{due_soon.pk}"')  # soonest due first
    assert f'data-postmortem="{published.pk}"' not in owed
    assert owed.count("data-postmortem=") == 2  # not the manager's
    assert f'href="/postmortems/{overdue.pk}/"' in owed


def test_home_lists_my_open_action_items_overdue_first(signed_in, team, member, manager):
    with time_machine.travel(T0, tick=False):
        pm = postmortem_for(team=team, actor=member, severity="SEV1")
    later = ActionItemFactory(actor=member, postmortem=pm, owner=member, due_date=date(2026, 3, 20))
    overdue = ActionItemFactory(
        actor=member, postmortem=pm, owner=member, due_date=date(2026, 3, 3)
    )
    started = ActionItemFactory(
        actor=member, postmortem=pm, owner=member, due_date=date(2026, 3, 10)
    )
    services.action_item_set_status(item=started, actor=member, status="in_progress")
    done = ActionItemFactory(actor=member, postmortem=pm, owner=member, due_date=date(2026, 3, 1))
    services.action_item_set_status(item=done, actor=member, status="done")
    ActionItemFactory(actor=member, postmortem=pm, owner=manager, due_date=date(2026, 3, 1))

    items = _home(signed_in).split('id="my-action-items"')[1].split("</table>")[0]
    order = [int(part.split('"')[0]) for part in items.split('data-action-item="')[1:]]
    assert order == [overdue.pk, started.pk, later.pk]
    assert f'class="overdue" data-action-item="{overdue.pk}"' in items
    assert "In progress" in items
    assert items.count("overdue-label") == 1


def test_home_sections_say_when_there_is_nothing(signed_in):
    html = _home(signed_in)
    assert "You owe no postmortem." in html
    assert "No open action items." in html


def test_incident_page_shows_the_postmortem_or_why_there_is_none(signed_in, team, member):
    with time_machine.travel(T0, tick=False):
        with_pm = postmortem_for(team=team, actor=member, severity="SEV1")
        not_required = resolved_incident(team=team, actor=member, severity="SEV4")
        still_open = IncidentFactory(team=team, actor=member, severity="SEV1")

    def section(incident_id):
        with time_machine.travel(LATER, tick=False):
            html = signed_in.get(f"/incidents/{incident_id}/").content.decode()
        after = html.split('<section id="section-postmortem"')[1]
        return after.split(">", 1)[1].split("</section>")[0]

    shown = section(with_pm.incident_id)
    assert f'href="/postmortems/{with_pm.pk}/"' in shown
    assert 'data-status="draft"' in shown and "Draft" in shown
    # The due time in the reader's zone (UTC for this member), as a <time> element.
    assert 'due <time datetime="2026-03-04T09:00:00+00:00"' in shown
    assert "4 Mar 09:00 UTC" in shown and "overdue" in shown
    assert "No postmortem is required for a SEV4 incident." in section(not_required.pk)
    assert "its draft is created when the incident is resolved" in section(still_open.pk)
    assert "<button" not in section(not_required.pk)


@pytest.mark.parametrize("path", ["/", "DETAIL"])
def test_section_queries_do_not_grow_with_rows(
    signed_in, team, member, path, django_assert_max_num_queries
):
    def add(n):
        with time_machine.travel(T0, tick=False):
            for _ in range(n):
                pm = postmortem_for(team=team, actor=member, severity="SEV1")
                ActionItemFactory(
                    actor=member, postmortem=pm, owner=member, due_date=date(2026, 3, 3)
                )
        return pm

    first = add(1)
    url = f"/incidents/{first.incident_id}/" if path == "DETAIL" else "/"
    with time_machine.travel(LATER, tick=False), django_assert_max_num_queries(40) as few:
        assert signed_in.get(url).status_code == 200
    add(8)
    with time_machine.travel(T0, tick=False):  # more rows on the first incident's page too
        for _ in range(8):
            ActionItemFactory(
                actor=member, postmortem=first, owner=member, due_date=date(2026, 3, 3)
            )
    with (
        time_machine.travel(LATER, tick=False),
        django_assert_max_num_queries(len(few.captured_queries)),
    ):
        response = signed_in.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    if path == "/":
        assert html.count("data-postmortem=") == 9
        assert html.count("data-action-item=") == 17
    else:
        assert f'href="/postmortems/{first.pk}/"' in html
