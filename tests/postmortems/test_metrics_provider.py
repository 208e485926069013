"""The completion rates reach GET /api/v1/metrics/ through the providers registered by
PostmortemsConfig.ready, on a known data set, scoped by team and severity.

Period [2026-03-01, 2026-04-01). SLA 48 h after resolution.

    postmortem  team   sev   resolved        published         counted
    on_time     team   SEV1  03-02 09:00     +47 h (in SLA)    yes, on time
    late        team   SEV2  03-02 09:00     +60 h (late)      yes
    draft       team   SEV2  03-02 09:00     never             yes
    before      team   SEV1  02-20 09:00     +1 h              no (resolved before)
    (SEV4)      team   SEV4  03-03 09:00     no postmortem     no
    theirs      other  SEV1  03-05 09:00     +1 h              only for the other team

    action item  due     status (when)             counted
    a            03-10   done 03-09                done on time
    b            03-10   done 03-13                late
    c            03-12   in progress               open
    d            03-20   open                      open
    e            03-15   won't do                  left out
    f            04-02   open                      outside the period
    g (other)    03-10   done 03-09                only for the other team
"""

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine

from incidents.reporting.providers import register_provider
from postmortems import providers, services
from tests.postmortems.factories import (
    ActionItemFactory,
    postmortem_for,
    ready_to_publish,
    resolved_incident,
)

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
NOW = datetime(2026, 4, 5, 12, 0, tzinfo=UTC)
PERIOD = {"since": "2026-03-01", "until": "2026-04-01"}


@pytest.fixture(autouse=True)
def _providers_registered():
    # Another test may unregister them; these are the ones PostmortemsConfig.ready adds.
    register_provider("postmortem_completion_rate", providers.postmortem_completion_rate)
    register_provider("action_item_completion_rate", providers.action_item_completion_rate)


def _publish(pm, actor, at):
    ready_to_publish(pm, actor)
    services.postmortem_submit(postmortem=pm, actor=actor)
    with time_machine.travel(at, tick=False):
        services.postmortem_publish(postmortem=pm, actor=actor)


def _item(actor, postmortem, due, status=None, when=None, reason=""):
    item = ActionItemFactory(actor=actor, postmortem=postmortem, owner=actor, due_date=due)
    if status:
        with time_machine.travel(when or T0, tick=False):
            services.action_item_set_status(item=item, actor=actor, status=status, reason=reason)
    return item


@pytest.fixture
def dataset(team, member, other_team, outsider):
    with time_machine.travel(T0, tick=False):
        on_time = postmortem_for(team=team, actor=member, severity="SEV1")
        late = postmortem_for(team=team, actor=member, severity="SEV2")
        draft = postmortem_for(team=team, actor=member, severity="SEV2")
    with time_machine.travel(datetime(2026, 2, 20, 9, 0, tzinfo=UTC), tick=False):
        before = postmortem_for(team=team, actor=member, severity="SEV1")
    with time_machine.travel(datetime(2026, 3, 3, 9, 0, tzinfo=UTC), tick=False):
        resolved_incident(team=team, actor=member, severity="SEV4")
    with time_machine.travel(datetime(2026, 3, 5, 9, 0, tzinfo=UTC), tick=False):
        theirs = postmortem_for(team=other_team, actor=outsider, severity="SEV1")
    _publish(on_time, member, T0 + timedelta(hours=47))
    _publish(late, member, T0 + timedelta(hours=60))
    _publish(before, member, datetime(2026, 2, 20, 10, 0, tzinfo=UTC))
    _publish(theirs, outsider, datetime(2026, 3, 5, 10, 0, tzinfo=UTC))

    _item(member, draft, date(2026, 3, 10), "done", datetime(2026, 3, 9, 12, tzinfo=UTC))
    _item(member, draft, date(2026, 3, 10), "done", datetime(2026, 3, 13, 12, tzinfo=UTC))
    _item(member, draft, date(2026, 3, 12), "in_progress")
    _item(member, draft, date(2026, 3, 20))
    _item(member, draft, date(2026, 3, 15), "wont_do", reason="Superseded by the migration.")
    _item(member, draft, date(2026, 4, 2))
    _item(outsider, theirs, date(2026, 3, 10), "done", datetime(2026, 3, 9, 12, tzinfo=UTC))
    return team


def _metrics(api, user, **params):
    with time_machine.travel(NOW, tick=False):
        response = api.as_user(user).get("/api/v1/metrics/", {**PERIOD, **params})
    assert response.status_code == 200, response.content
    return response.json()


def test_completion_rates_of_the_members_team(api, dataset, member):
    body = _metrics(api, member, team=dataset.pk)
    assert body["postmortem_completion_rate"] == pytest.approx(1 / 3)
    assert body["action_item_completion_rate"] == pytest.approx(1 / 4)
    assert "postmortem_completion_rate" not in body["unavailable"]
    assert "action_item_completion_rate" not in body["unavailable"]


def test_completion_rates_are_scoped_by_team(api, dataset, outsider, other_team, staff):
    body = _metrics(api, outsider)
    assert body["postmortem_completion_rate"] == 1.0
    assert body["action_item_completion_rate"] == 1.0
    # Staff see every team: postmortems 2 on time of 4, items 2 on time of 5.
    body = _metrics(api, staff)
    assert body["postmortem_completion_rate"] == pytest.approx(2 / 4)
    assert body["action_item_completion_rate"] == pytest.approx(2 / 5)


def test_completion_rates_follow_the_severity_filter(api, dataset, member):
    body = _metrics(api, member, team=dataset.pk, severity="SEV1")
    assert body["postmortem_completion_rate"] == 1.0
    assert body["action_item_completion_rate"] is None  # every item is on a SEV2
    body = _metrics(api, member, team=dataset.pk, severity="SEV2")
    assert body["postmortem_completion_rate"] == 0.0
    assert body["action_item_completion_rate"] == pytest.approx(1 / 4)


def test_a_period_with_nothing_due_is_null_not_zero(api, dataset, member):
    body = _metrics(api, member, team=dataset.pk, since="2025-01-01", until="2025-02-01")
    assert body["postmortem_completion_rate"] is None
    assert body["action_item_completion_rate"] is None


def test_the_metrics_page_shows_both_rates(client, dataset, member):
    client.force_login(member)
    with time_machine.travel(NOW, tick=False):
        html = client.get("/metrics/", {**PERIOD, "team": dataset.slug}).content.decode()
    assert '<strong id="postmortem-completion">33.3%</strong>' in html
    assert '<strong id="action-item-completion">25.0%</strong>' in html
