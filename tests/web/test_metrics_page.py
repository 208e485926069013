"""The metrics page through the Django test client: figures in plain hours and minutes,
the on-call load, a CSV of plain numbers, charts whose labels fit and carry no inline
style, and the page of metric definitions linked from it."""

import csv
import io
import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from incidents import services
from incidents.paging.models import Page, PageStatus
from incidents.reporting.web import charts
from incidents.templatetags.tocsin import minutes
from tests.incidents.factories import IncidentFactory

PARAMS = {"since": "2026-11-02", "until": "2026-11-09"}
AFTER = datetime(2026, 11, 20, tzinfo=UTC)


def _dataset(team, member, durations=((120, 1800), (600, 7200))):
    """One SEV1 incident a day from Mon 2 Nov 2026 10:00 UTC, acknowledged and resolved
    after the given numbers of seconds."""
    base = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
    incidents = []
    for offset, (ack, resolve) in enumerate(durations):
        start = base + timedelta(days=offset)
        with time_machine.travel(start, tick=False):
            incident = IncidentFactory(team=team, actor=member, severity="SEV1")
        with time_machine.travel(start + timedelta(seconds=ack), tick=False):
            services.incident_acknowledge(incident=incident, actor=member)
        with time_machine.travel(start + timedelta(seconds=resolve), tick=False):
            services.incident_resolve(incident=incident, actor=member)
        incidents.append(incident)
    return incidents


def _get(client, team, **extra):
    with time_machine.travel(AFTER, tick=False):
        return client.get("/metrics/", {"team": team.slug, **PARAMS, **extra})


def test_metrics_page_shows_durations_in_hours_and_minutes(signed_in, team, member):
    _dataset(team, member)
    body = _get(signed_in, team).content.decode()
    # MTTA (120 s + 600 s) / 2 = 6 min; MTTR (1800 s + 7200 s) / 2 = 1 h 15 min.
    assert '<strong id="mtta-mean">6 min</strong>' in body
    assert '<strong id="mttr-mean">1 h 15 min</strong>' in body
    assert "<svg" in body
    # Every figure has its provider (postmortems, action items, on-call pages).
    assert "not available until" not in body


def test_long_durations_read_as_hours_never_thousands_of_minutes(signed_in, team, member):
    # MTTR of 8993 minutes: the page says 149 h 53 min, the chart's axis is in hours.
    _dataset(team, member, durations=((60, 8993 * 60),))
    body = _get(signed_in, team).content.decode()
    shown = minutes(8993 * 60)
    assert re.fullmatch(r"(\d+ days?|\d+ h)( \d+ (h|min))?", shown), shown
    assert f'<strong id="mttr-mean">{shown}</strong>' in body
    assert "8993" not in body and "8,993" not in body
    chart = body.split('aria-label="Mean time to acknowledge and to resolve per week"')[1]
    chart = chart.split("</svg>")[0]
    assert ">hours</text>" in chart and " h</text>" in chart


def test_csv_cells_are_plain_numbers_with_units_in_the_headers(signed_in, team, member):
    _dataset(team, member)
    response = _get(signed_in, team, format="csv")
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    header, rows = rows[0], rows[1:]
    assert header[:4] == ["Group", "Name", "Incidents", "MTTA mean (minutes)"]
    assert "MTTR p90 (minutes)" in header and "Acknowledged within target (%)" in header
    assert "mtta_mean_s" not in header
    everything = {row[0]: row for row in rows if row[0] != "Severity"}
    total = dict(zip(header, everything["All"], strict=True))
    # 6 min mean; p90 of 120 s and 600 s is 552 s = 9.2 min; MTTR mean 75 min.
    assert total["MTTA mean (minutes)"] == "6"
    assert total["MTTA p90 (minutes)"] == "9.2"
    assert total["MTTR mean (minutes)"] == "75"
    assert total["MTTR p90 (minutes)"] == "111"
    assert total["Acknowledged within target (%)"] == "50"
    for row in rows:
        for cell in row[2:]:
            if cell:
                float(cell)  # every filled cell is a plain number
                assert re.fullmatch(r"-?\d+(\.\d{1,2})?", cell), cell
    weeks = [row for row in rows if row[0] == "Week starting"]
    assert [row[1] for row in weeks] == ["2026-11-02"]


def test_bad_parameters_are_a_message_in_plain_words(signed_in, team):
    response = signed_in.get("/metrics/", {"since": "2026-11-09", "until": "2026-11-02"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "Choose an end date after the start date." in body
    assert "since must be" not in body
    response = signed_in.get("/metrics/", {"since": "not a date"})
    assert response.status_code == 200
    assert "Enter a valid date." in response.content.decode()


def _page(incident, user, at, loop):
    return Page.objects.create(
        incident=incident,
        user=user,
        channel="email",
        loop=loop,
        level=1,
        status=PageStatus.SENT,
        not_before=at,
        created_at=at,
        sent_at=at,
    )


def test_the_oncall_load_is_shown_with_who_is_over_the_target(signed_in, team, member):
    (incident,) = _dataset(team, member, durations=((60, 600),))
    start = datetime(2026, 11, 3, 9, 0, tzinfo=UTC)
    for step in range(12):
        _page(incident, member, start + timedelta(minutes=step), loop=step)
    body = _get(signed_in, team).content.decode()
    load = body.split('id="oncall-load"')[1].split("</li>")[0]
    assert "pages per engineer per week" in load and "target under 10" in load
    assert "Busiest week: 12 pages." in load
    over = body.split('id="over-limit"')[1].split("</table>")[0]
    assert member.username in over and ">12<" in over


def test_definitions_are_a_page_of_the_app_linked_from_the_metrics(signed_in, team, member):
    _dataset(team, member)
    body = _get(signed_in, team).content.decode()
    link = re.search(r'<a href="([^"]+)" id="metric-definitions-link">', body)
    assert link and link.group(1) == "/metrics/definitions/"
    with time_machine.travel(AFTER, tick=False):
        page = signed_in.get(link.group(1))
    assert page.status_code == 200
    text = page.content.decode()
    for term in (
        'id="mtta"',
        'id="mttr"',
        'id="sla"',
        'id="postmortem-completion"',
        'id="action-item-completion"',
        'id="oncall-load"',
        'id="csv"',
    ):
        assert term in text
    assert "fewer than 10 pages per engineer per week" in text
    content = text.split('class="metrics-page metric-definitions"')[1]
    # The definitions themselves, not a pointer to a repository document.
    assert ".md" not in content and "docs/" not in content and "github" not in content.lower()


@pytest.mark.parametrize("weeks", [1, 6, 60])
def test_chart_labels_fit_and_carry_no_inline_style(weeks):
    def week(i):
        start = datetime(2026, 1, 5, tzinfo=UTC) + timedelta(weeks=i)
        return {
            "week_start": start.date().isoformat(),
            "incident_count": 1200 + i,
            "incident_count_by_severity": {"SEV1": 1200 + i},
            "mtta_seconds": {"mean": 1_000_000.0},
            "mttr_seconds": {"mean": 3_600_000.0 + i},  # 1,000 h
        }

    figures = {"by_week": [week(i) for i in range(weeks)], "by_severity": {"SEV1": {}}}
    for svg in (charts.stacked_weekly_counts(figures), charts.weekly_mtta_mttr(figures)):
        assert "style=" not in svg
        width = int(re.search(r'viewBox="0 0 (\d+) \d+"', svg).group(1))
        # Right-aligned labels (the y axis) end at x and must fit in the margin left of it;
        # the others must fit in the width (a digit is at most 0.6 em wide).
        texts = re.findall(
            r'<text x="([\d.]+)" y="[\d.]+"(?: text-anchor="(\w+)")?[^>]*>([^<]*)</text>', svg
        )
        assert texts
        for x, anchor, text in texts:
            wide, x = len(text) * charts.FONT * 0.6, float(x)
            if anchor == "end":
                assert wide <= x, text
            elif anchor == "middle":
                assert wide / 2 <= x <= width - wide / 2, text
            else:
                assert x >= 0 and x + wide <= width, text
        labels = re.findall(r'text-anchor="middle"[^>]*>([^<]*)</text>', svg)
        assert len(labels) <= 9  # week labels never pile up
