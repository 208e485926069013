"""Metrics against a hand-computed data set: incidents declared, acknowledged and resolved
at controlled moments (time-machine), every figure checked.

Period: 2026-11-02 (Mon) to 2026-11-16 (Mon), two ISO weeks; "now" is 2026-11-16 12:00 UTC.
Targets (seeded): SEV1 ack 5 min / resolve 1 h; SEV2 15 min / 4 h; SEV3 1 h / 3 days.

    id  sev   triggered         ack after  resolved after  resolution
    A   SEV1  Mon 11-02 10:00   120 s      1800 s          fixed
    B   SEV1  Tue 11-03 12:00   600 s      7200 s          fixed
    C   SEV2  Wed 11-04 09:00   300 s      3600 s          false_positive
    D   SEV2  Mon 11-09 08:00   900 s      18000 s         duplicate
    E   SEV3  Tue 11-10 10:00   60 s       (open)
    F   SEV1  Sun 11-15 23:00   (never)    (open)
    G   SEV1  Mon 11-16 01:00   outside the period
    H   SEV1  another team, inside the period
"""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from incidents import services
from incidents.reporting import providers
from incidents.reporting.scope import metrics_scope_for
from incidents.reporting.selectors import incident_metrics
from incidents.reporting.sql import percentile_cont
from tests.incidents.factories import IncidentFactory

NOW = datetime(2026, 11, 16, 12, 0, tzinfo=UTC)


URL = "/api/v1/metrics/"


approx = lambda value: pytest.approx(value, rel=1e-12, abs=1e-9)  # noqa: E731


def _incident(team, actor, severity, triggered, ack=None, resolve=None, resolution="fixed"):
    with time_machine.travel(triggered, tick=False):
        incident = IncidentFactory(team=team, actor=actor, severity=severity)
    if ack is not None:
        with time_machine.travel(triggered + timedelta(seconds=ack), tick=False):
            services.incident_acknowledge(incident=incident, actor=actor)
    if resolve is not None:
        with time_machine.travel(triggered + timedelta(seconds=resolve), tick=False):
            services.incident_resolve(incident=incident, actor=actor, resolution=resolution)
    return incident


@pytest.fixture
def dataset(team, member, other_team, outsider):
    d = lambda day, hour: datetime(2026, 11, day, hour, 0, tzinfo=UTC)  # noqa: E731
    _incident(team, member, "SEV1", d(2, 10), ack=120, resolve=1800)
    _incident(team, member, "SEV1", d(3, 12), ack=600, resolve=7200)
    _incident(team, member, "SEV2", d(4, 9), ack=300, resolve=3600, resolution="false_positive")
    _incident(team, member, "SEV2", d(9, 8), ack=900, resolve=18000, resolution="duplicate")
    _incident(team, member, "SEV3", d(10, 10), ack=60)
    _incident(team, member, "SEV1", d(15, 23))
    _incident(team, member, "SEV1", d(16, 1), ack=10, resolve=20)
    _incident(other_team, outsider, "SEV1", d(5, 10), ack=1, resolve=2)
    return team


def _get(api, user, **params):
    with time_machine.travel(NOW, tick=False):
        return api.as_user(user).get(URL, params)


def _period(team):
    return {"team": team.pk, "since": "2026-11-02", "until": "2026-11-16"}


def test_overall_figures_match_the_hand_computed_values(api, dataset, member):
    response = _get(api, member, **_period(dataset))
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["incident_count"] == 6
    assert body["resolved_count"] == 4
    assert body["mtta_seconds"] == {"mean": approx(396), "p50": approx(300), "p90": approx(780)}
    assert body["mttr_seconds"] == {
        "mean": approx(7650),
        "p50": approx(5400),
        "p90": approx(14760),
    }
    # Acknowledged in time: A, C, D (exactly on target), E; known outcomes: 5 acked + F.
    assert body["ack_within_target_ratio"] == approx(4 / 6)
    # Resolved in time: A, C; known: 4 resolved + E and F past their resolve target.
    assert body["resolve_within_target_ratio"] == approx(2 / 6)
    assert body["false_positive_rate"] == approx(0.25)
    assert body["incidents_per_week"] == approx(3.0)
    assert body["period"] == {
        "since": "2026-11-02T00:00:00+00:00",
        "until": "2026-11-16T00:00:00+00:00",
        "weeks": 2.0,
    }


def test_figures_by_severity(api, dataset, member):
    by_severity = _get(api, member, **_period(dataset)).json()["by_severity"]
    assert list(by_severity) == ["SEV1", "SEV2", "SEV3", "SEV4"]
    sev1, sev2, sev3, sev4 = (by_severity[k] for k in ("SEV1", "SEV2", "SEV3", "SEV4"))
    assert sev1["incident_count"] == 3
    assert sev1["mtta_seconds"] == {"mean": approx(360), "p50": approx(360), "p90": approx(552)}
    assert sev1["mttr_seconds"] == {"mean": approx(4500), "p50": approx(4500), "p90": approx(6660)}
    assert sev1["ack_within_target_ratio"] == approx(1 / 3)
    assert sev1["resolve_within_target_ratio"] == approx(1 / 3)
    assert sev1["false_positive_rate"] == 0

    assert sev2["incident_count"] == 2
    assert sev2["mtta_seconds"] == {"mean": approx(600), "p50": approx(600), "p90": approx(840)}
    assert sev2["mttr_seconds"] == {
        "mean": approx(10800),
        "p50": approx(10800),
        "p90": approx(16560),
    }
    assert sev2["ack_within_target_ratio"] == 1
    assert sev2["resolve_within_target_ratio"] == approx(0.5)
    assert sev2["false_positive_rate"] == approx(0.5)

    assert sev3["incident_count"] == 1
    assert sev3["mtta_seconds"] == {"mean": approx(60), "p50": approx(60), "p90": approx(60)}
    assert sev3["mttr_seconds"] == {"mean": None, "p50": None, "p90": None}
    assert sev3["ack_within_target_ratio"] == 1
    assert sev3["resolve_within_target_ratio"] == 0
    assert sev3["false_positive_rate"] is None

    assert sev4["incident_count"] == 0
    assert sev4["mtta_seconds"] == {"mean": None, "p50": None, "p90": None}
    assert sev4["ack_within_target_ratio"] is None


def test_figures_by_week(api, dataset, member):
    weeks = _get(api, member, **_period(dataset)).json()["by_week"]
    assert [w["week_start"] for w in weeks] == ["2026-11-02", "2026-11-09"]
    first, second = weeks
    assert first["incident_count"] == 3
    assert first["incident_count_by_severity"] == {"SEV1": 2, "SEV2": 1, "SEV3": 0, "SEV4": 0}
    assert first["mtta_seconds"] == {"mean": approx(340), "p50": approx(300), "p90": approx(540)}
    assert first["mttr_seconds"] == {
        "mean": approx(4200),
        "p50": approx(3600),
        "p90": approx(6480),
    }
    assert first["ack_within_target_ratio"] == approx(2 / 3)
    assert first["resolve_within_target_ratio"] == approx(2 / 3)
    assert first["false_positive_rate"] == approx(1 / 3)

    # F (Sunday 23:00) belongs to the week starting Monday 11-09.
    assert second["incident_count"] == 3
    assert second["incident_count_by_severity"] == {"SEV1": 1, "SEV2": 1, "SEV3": 1, "SEV4": 0}
    assert second["mtta_seconds"] == {"mean": approx(480), "p50": approx(480), "p90": approx(816)}
    assert second["mttr_seconds"] == {
        "mean": approx(18000),
        "p50": approx(18000),
        "p90": approx(18000),
    }
    assert second["ack_within_target_ratio"] == approx(2 / 3)
    assert second["resolve_within_target_ratio"] == 0
    assert second["false_positive_rate"] == 0


def test_severity_filter_narrows_every_figure(api, dataset, member):
    body = _get(api, member, severity="sev2", **_period(dataset)).json()
    assert body["incident_count"] == 2
    assert list(body["by_severity"]) == ["SEV2"]
    assert body["mttr_seconds"]["p90"] == approx(16560)
    assert [w["incident_count"] for w in body["by_week"]] == [1, 1]


def test_without_team_all_my_teams_are_counted(api, dataset, member, outsider):
    assert _get(api, member, since="2026-11-02", until="2026-11-16").json()["incident_count"] == 6
    assert _get(api, outsider, since="2026-11-02", until="2026-11-16").json()["incident_count"] == 1


def test_default_period_is_the_28_days_before_now(api, dataset, member):
    body = _get(api, member, team=dataset.slug).json()
    assert body["period"]["since"] == "2026-10-19T12:00:00+00:00"
    assert body["period"]["until"] == "2026-11-16T12:00:00+00:00"
    assert body["incident_count"] == 7  # G (11-16 01:00) is now inside


def test_figures_owned_by_other_modules_are_null_with_a_reason(api, dataset, member):
    # Every provided figure has its provider now; take one away to see the reason.
    previous = providers.registered_providers()["postmortem_completion_rate"]
    providers.unregister_provider("postmortem_completion_rate")
    try:
        body = _get(api, member, **_period(dataset)).json()
    finally:
        providers.register_provider("postmortem_completion_rate", previous)
    for name in ("postmortem_completion_rate",):
        assert body[name] is None
        assert body["unavailable"][name].startswith("not available until")
    assert "action_item_completion_rate" not in body["unavailable"]


def test_a_registered_provider_supplies_its_figure(api, dataset, member):
    seen = []

    def completion_rate(scope):
        seen.append(scope)
        return 0.75

    previous = providers.registered_providers().get("postmortem_completion_rate")
    providers.register_provider("postmortem_completion_rate", completion_rate)
    try:
        body = _get(api, member, **_period(dataset)).json()
    finally:
        if previous is None:
            providers.unregister_provider("postmortem_completion_rate")
        else:
            providers.register_provider("postmortem_completion_rate", previous)
    assert body["postmortem_completion_rate"] == 0.75
    assert "postmortem_completion_rate" not in body["unavailable"]
    (scope,) = seen
    assert scope.team_ids == [dataset.pk]
    assert scope.since == datetime(2026, 11, 2, tzinfo=UTC)
    assert scope.until == datetime(2026, 11, 16, tzinfo=UTC)
    assert scope.now == NOW


def test_unknown_figure_names_are_refused():
    with pytest.raises(ValueError, match="Unknown figure"):
        providers.register_provider("mean_time_to_coffee", lambda scope: 1)


def test_another_teams_metrics_are_not_found(api, dataset, outsider):
    response = _get(api, outsider, **_period(dataset))
    assert response.status_code == 404
    assert response.json()["detail"] == "Team not found."


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"since": "yesterday"}, "since"),
        ({"until": "2026-13-40"}, "until"),
        ({"since": "2026-11-16", "until": "2026-11-02"}, "since"),
        ({"since": "1990-01-01", "until": "2026-01-01"}, "since"),
        ({"severity": "SEV9"}, "severity"),
        ({"severity": "SEV1\x00"}, "severity"),
        ({"since": "0001-01-01", "until": "0001-01-02"}, "until"),
        ({"since": "0001-01-01"}, "since"),
        ({"until": "9999-12-31T23:59:59"}, "until"),
    ],
)
def test_bad_parameters_are_400_with_the_field(api, member, params, field):
    response = _get(api, member, **params)
    assert response.status_code == 400
    assert field in response.json()["errors"]


@pytest.mark.parametrize("value", ["99999999999999999999999", "pay\x00ments", "../x", "0"])
def test_odd_team_values_are_not_found(api, member, value):
    assert _get(api, member, team=value).status_code == 404


def test_anonymous_is_refused(api, db):
    assert api.get(URL).status_code in (401, 403)


def test_query_count_does_not_grow_with_incidents(api, team, member, django_assert_max_num_queries):
    base = datetime(2026, 11, 3, 9, 0, tzinfo=UTC)
    _incident(team, member, "SEV1", base, ack=60, resolve=600)
    # 12 for the incident figures, two for pages_per_engineer_per_week (paging), one per
    # postmortem provider (postmortems).
    with django_assert_max_num_queries(16) as small:
        _get(api, member, **_period(team))
    for hour in range(1, 16):
        _incident(team, member, f"SEV{hour % 4 + 1}", base + timedelta(hours=hour), ack=hour)
    with django_assert_max_num_queries(len(small.captured_queries)):
        body = _get(api, member, **_period(team)).json()
    assert body["incident_count"] == 16


@pytest.mark.postgres
def test_postgresql_percentiles_equal_the_portable_path(dataset, member):
    with time_machine.travel(NOW, tick=False):
        scope = metrics_scope_for(
            user=member, team=str(dataset.pk), since="2026-11-02", until="2026-11-16"
        )
        in_db = incident_metrics(scope, percentiles_in_database=True)
        portable = incident_metrics(scope, percentiles_in_database=False)
    assert in_db == portable
    assert in_db["mttr_seconds"]["p90"] == approx(14760)


def test_percentile_cont_interpolates_like_sql():
    assert percentile_cont([], 0.5) is None
    assert percentile_cont([7.0], 0.9) == 7.0
    assert percentile_cont([1.0, 2.0, 3.0, 10.0], 0.5) == 2.5
    assert percentile_cont([60.0, 900.0], 0.9) == approx(816)
