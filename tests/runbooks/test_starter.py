"""The starter library: four complete runbooks that teams install and adapt."""

import pytest
from django.core.management import call_command

from runbooks.models import REQUIRED_SECTIONS, Runbook
from runbooks.rendering import missing_sections, render_markdown
from runbooks.seed import starter_runbooks_install
from runbooks.starter import STARTER_RUNBOOKS
from tests.incidents.factories import ServiceFactory


def test_four_complete_runbooks_with_real_commands():
    assert [r.title for r in STARTER_RUNBOOKS] == [
        "High latency",
        "Database outage",
        "Service down",
        "High error rate",
        "Tocsin failover",
    ]
    for runbook in STARTER_RUNBOOKS:
        assert missing_sections(runbook.body, REQUIRED_SECTIONS) == [], runbook.title
        for heading in ("Quick wins (< 5 min)", "Medium-term (5–30 min)", "Long-term"):
            assert heading in runbook.body, (runbook.title, heading)
        assert "kubectl " in runbook.body, runbook.title
        html = render_markdown(runbook.body)
        assert "<pre><code" in html
    everything = "\n".join(r.body for r in STARTER_RUNBOOKS)
    for command in ("psql", "pg_stat_activity", "pg_isready", "redis-cli", "kubectl -n"):
        assert command in everything, command


@pytest.mark.django_db
def test_install_covers_matching_services_and_is_idempotent(team):
    db = ServiceFactory(team=team, name="Primary DB", slug="postgres-primary")
    api = ServiceFactory(team=team, name="Checkout API", slug="checkout-api")
    call_command("runbooks_install_starter", "--team", team.slug)
    runbooks = {r.title: r for r in Runbook.objects.filter(team=team)}
    assert set(runbooks) == {r.title for r in STARTER_RUNBOOKS}
    assert list(runbooks["Database outage"].services.all()) == [db]
    assert list(runbooks["High latency"].services.all()) == [api]
    assert set(runbooks["Service down"].services.all()) == {db, api}
    assert runbooks["Database outage"].severity_hint.name == "SEV1"
    assert starter_runbooks_install(team=team) == []
    assert list(runbooks["Tocsin failover"].services.all()) == []  # no "tocsin" service
    assert Runbook.objects.filter(team=team).count() == len(STARTER_RUNBOOKS)
