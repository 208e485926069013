"""The paging engine's sections: "On call now" and "My pending pages" on the home page,
"Pages sent" on the incident page; with query counts that do not grow with rows."""

import re
from datetime import date, time, timedelta

from incidents import services
from incidents.models import Incident
from tests.incidents.factories import IncidentFactory
from tests.oncall.factories import make_policy, make_schedule, member_of


def daily(team, users, name="Primary"):
    # Handoffs at 10:05 from Sat 02-28: carol, then alice (from 03-01 10:05), then bob.
    return make_schedule(
        team,
        [
            {
                "users": users,
                "rotation": "daily",
                "handoff_time": time(10, 5),
                "start": date(2026, 2, 28),
            }
        ],
        name=name,
    )


def section(body, name):
    match = re.search(rf'<section id="section-{name}"[^>]*>(.*?)</section>', body, re.S)
    assert match, f"section {name} not on the page"
    return match.group(1)


def cells(html):
    return [
        [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        for row in re.findall(r"<tr>(.*?)</tr>", html, re.S)
        if "<td" in row
    ]


def test_home_shows_who_is_on_call_now_on_each_schedule_of_my_teams(
    clock, signed_in, team, other_team, outsider, people
):
    daily(team, [people["carol"], people["alice"], people["bob"]])
    make_schedule(team, [], name="Secondary (empty)")
    daily(other_team, [outsider], name="Mobile primary")
    rows = cells(section(signed_in.get("/").content.decode(), "on-call-now"))
    assert rows == [
        ["Payments", "Primary", "alice"],
        ["Payments", "Secondary (empty)", "nobody"],
    ]
    clock.shift(timedelta(minutes=5))  # the 10:05 handoff
    rows = cells(section(signed_in.get("/").content.decode(), "on-call-now"))
    assert rows[0] == ["Payments", "Primary", "bob"]


def test_a_team_without_schedules_says_so(clock, signed_in, team):
    rows = cells(section(signed_in.get("/").content.decode(), "on-call-now"))
    assert rows == [["Payments", "no schedule"]]


def test_my_pending_pages_lists_triggered_incidents_i_was_paged_for(
    clock, signed_in, committing, team, member, people, sweep
):
    make_policy(team, [(5, [member]), (5, [people["alice"]])])
    with committing():
        first = IncidentFactory(team=team, severity="SEV1", title="Checkout down")
    clock.shift(timedelta(minutes=1))
    with committing():
        second = IncidentFactory(team=team, severity="SEV2", title="Slow search")
        done = IncidentFactory(team=team, severity="SEV2", title="Acknowledged already")
    with committing():
        services.incident_acknowledge(incident=done, actor=member)
    # Five minutes later the second rule pages alice, not me: my list is unchanged.
    clock.shift(timedelta(minutes=5))
    sweep()
    body = signed_in.get("/").content.decode()
    rows = cells(section(body, "my-pending-pages"))
    assert [r[0] for r in rows] == [
        f"{second.reference} Slow search",
        f"{first.reference} Checkout down",
    ]
    assert [r[3] for r in rows] == ["1", "1"]
    # The existing "waiting for acknowledgement" list is still there.
    assert 'id="pending-acks"' in body

    with committing():
        services.incident_acknowledge(incident=first, actor=member)
    rows = cells(section(signed_in.get("/").content.decode(), "my-pending-pages"))
    assert [r[0] for r in rows] == [f"{second.reference} Slow search"]


def test_nobody_paged_me(clock, signed_in, team):
    html = section(signed_in.get("/").content.decode(), "my-pending-pages")
    assert "No page is waiting for you." in html


def test_incident_page_lists_the_pages_sent(
    clock, signed_in, committing, team, member, people, sweep
):
    make_policy(team, [(5, [people["alice"]]), (10, [people["bob"]])])
    with committing():
        incident = IncidentFactory(team=team, severity="SEV1")
    clock.shift(timedelta(minutes=5))
    sweep()
    rows = cells(
        section(
            signed_in.get(f"/incidents/{incident.pk}/").content.decode(), "pages-sent-by-engine"
        )
    )
    assert rows == [
        ["alice", "1", "email", "Sent", "2 Mar 10:00 UTC (5 min ago)"],
        ["bob", "2", "email", "Sent", "2 Mar 10:05 UTC (just now)"],
    ]
    # In the reader's own zone (read once per session: a new sign-in picks it up).
    from oncall.contacts.models import OnCallPreference

    OnCallPreference.objects.create(user=member, time_zone="Europe/Berlin")
    signed_in.logout()
    signed_in.force_login(member)
    body = signed_in.get(f"/incidents/{incident.pk}/").content.decode()
    rows = cells(section(body, "pages-sent-by-engine"))
    assert [r[4] for r in rows] == ["2 Mar 11:00 CET (5 min ago)", "2 Mar 11:05 CET (just now)"]


def test_incident_page_without_pages(clock, signed_in, incident):
    html = section(
        signed_in.get(f"/incidents/{incident.pk}/").content.decode(), "pages-sent-by-engine"
    )
    assert "Nobody was paged for this incident." in html


def test_home_query_count_does_not_grow_with_schedules_and_pages(
    clock, signed_in, committing, team, member, people, django_assert_max_num_queries
):
    make_policy(team, [(5, [member, people["alice"]])])
    daily(team, [people["carol"], people["alice"]])
    with committing():
        IncidentFactory(team=team, severity="SEV1")
    with django_assert_max_num_queries(30) as few:
        assert signed_in.get("/").status_code == 200
    for n in range(4):
        daily(team, [people["bob"], people["carol"], member], name=f"Schedule {n}")
        other = member_of(team, f"extra{n}")
        daily(team, [other], name=f"Solo {n}")
    for _ in range(6):
        clock.shift(timedelta(minutes=2))  # past the e-mail throttle: each page goes out
        with committing():
            IncidentFactory(team=team, severity="SEV2")
    with django_assert_max_num_queries(len(few.captured_queries)):
        body = signed_in.get("/").content.decode()
    assert len(cells(section(body, "on-call-now"))) == 9
    assert len(cells(section(body, "my-pending-pages"))) == 7


def test_incident_page_query_count_does_not_grow_with_pages(
    clock, signed_in, committing, team, member, people, django_assert_max_num_queries, sweep
):
    make_policy(team, [(1, [people["alice"]])], repeat=9)
    with committing():
        incident = IncidentFactory(team=team, severity="SEV1")
    url = f"/incidents/{incident.pk}/"
    with django_assert_max_num_queries(40) as few:
        assert signed_in.get(url).status_code == 200
    for _ in range(9):
        clock.shift(timedelta(minutes=1))
        sweep()
    assert Incident.objects.get(pk=incident.pk).pages.count() == 10
    with django_assert_max_num_queries(len(few.captured_queries)):
        body = signed_in.get(url).content.decode()
    assert len(cells(section(body, "pages-sent-by-engine"))) == 10


def test_a_contact_method_that_fails_is_shown_to_its_owner(
    clock, committing, signed_in, member, team, declare
):
    """The person learns that pages cannot reach them, with the receiver's error, until a
    message gets through that method again."""
    from oncall.contacts.models import ContactMethod
    from tests.harness.receivers import HttpReceiver

    make_policy(team, [(30, [member])])
    with HttpReceiver(default=(404, {})) as sink:
        ContactMethod.objects.create(user=member, kind="webhook", address=sink.url, label="Pager")
        declare(team)
    html = section(signed_in.get("/").content.decode(), "my-pending-pages")
    assert "could not reach you" in html and "Pager" in html and "HTTP 404" in html
    ContactMethod.objects.filter(user=member).update(last_sent_at=clock_now_plus_a_minute())
    html = section(signed_in.get("/").content.decode(), "my-pending-pages")
    assert "could not reach you" not in html


def clock_now_plus_a_minute():
    from django.utils import timezone

    return timezone.now() + timedelta(minutes=1)
