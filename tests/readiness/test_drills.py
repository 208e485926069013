"""A game day end to end, with a frozen clock, through the real pipeline: a manager
schedules a drill; at its time the beat task injects its alert through the real ingest
path, which declares a DRILL incident that pages through the real engine (a webhook
receiver, Slack and e-mail on 127.0.0.1 show what went out: DRILL on every channel) and
starts the chaos tool's fault (a signed webhook); the responders acknowledge, open the
runbook, post a public update and resolve; the drill completes with findings for the
targets it missed, one becomes an action item. The drill stays out of the metrics, the
paging load, the status page and its feed, and asks for no postmortem."""

import hashlib
import hmac
from datetime import timedelta

import pytest
from django.utils import timezone

from incidents import services as incident_services
from incidents.communication import selectors as status_selectors
from incidents.communication.models import TeamCommunicationSettings, UpdateAudience
from incidents.communication.services import status_update_post
from incidents.models import Severity, TimelineEvent
from incidents.paging.models import Page
from incidents.reporting.paging import pages_per_engineer_per_week
from incidents.reporting.providers import MetricsScope
from incidents.reporting.selectors import incident_metrics
from oncall.contacts.models import ContactMethod
from outbox.services import outbox_send_due
from postmortems.models import Postmortem
from readiness.drills import scoring, selectors, services, tasks
from readiness.drills.markdown import drill_report_markdown
from readiness.drills.models import DrillFinding, DrillStatus
from runbooks.models import RunbookAttachment
from tests.harness.receivers import HttpReceiver, SmtpReceiver, email_through_smtp
from tests.incidents.factories import ServiceFactory
from tests.oncall.factories import make_policy
from tests.runbooks.factories import RunbookFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(team, manager, alice, settings):
    settings.OUTBOUND_ALLOW_PRIVATE_NETWORKS = True
    service = ServiceFactory(team=team, name="Checkout API", slug="checkout-api", public=True)
    make_policy(team, [(5, [alice])])
    runbook = RunbookFactory(
        team=team, actor=manager, title="Checkout failover", services=[service]
    )
    # A team that publishes as it declares: a real incident would reach the status page.
    TeamCommunicationSettings.objects.create(
        team=team, auto_publish=True, stakeholder_emails="board@example.com"
    )
    return {"service": service, "runbook": runbook}


def _send_outbox(committing):
    with committing():
        outbox_send_due()


def _schedule(manager, team, world, **fields):
    defaults = {
        "actor": manager,
        "team": team,
        "title": "Checkout database fails over",
        "severity": Severity.objects.get(name="SEV2"),
        "scheduled_at": timezone.now() + timedelta(hours=1),
        "scenario": "The primary database goes away; the replica must take over.",
        "service": world["service"],
        "runbook": world["runbook"],
    }
    return services.drill_schedule(**{**defaults, **fields})


def test_a_drill_pages_through_the_real_pipeline_marked_drill_and_counts_nowhere(
    clock, committing, client, team, manager, alice, world, slack, settings
):
    with HttpReceiver() as pager, HttpReceiver() as chaos, SmtpReceiver() as smtp:
        email_through_smtp(settings, smtp.port)
        ContactMethod.objects.create(user=alice, kind="webhook", address=pager.url)
        alice.email = "alice@example.com"
        alice.save(update_fields=["email"])

        with committing():
            drill = _schedule(
                manager,
                team,
                world,
                fault_start_url=chaos.url + "/start",
                fault_stop_url=chaos.url + "/stop",
            )
        # Announced: every member with an address hears of it now, marked DRILL.
        _send_outbox(committing)
        announced = [content for rcpts, content in smtp.messages if "alice@example.com" in rcpts]
        assert announced and "Subject: [DRILL] Payments: game day" in announced[0]
        assert not pager.requests and not chaos.requests

        # Not due yet: the beat starts nothing.
        with committing():
            assert tasks.start_due() == 0
        clock.shift(timedelta(hours=1))
        with committing():
            assert tasks.start_due() == 1
            assert tasks.start_due() == 0  # twice: started once
        _send_outbox(committing)

        drill.refresh_from_db()
        incident = drill.incident
        assert drill.status == DrillStatus.RUNNING and incident.is_drill
        assert incident.alerts.get().integration == drill.integration
        assert list(incident.services.all()) == [world["service"]]
        # The runbook matched the drill's alert like it would a real one.
        assert RunbookAttachment.objects.filter(incident=incident, runbook=world["runbook"])

        # The page went out through the real engine, marked DRILL.
        page = pager.requests[0].json()
        assert page["subject"].startswith("[DRILL] [SEV2]")
        assert page["incidents"][0]["drill"] is True
        assert Page.objects.filter(incident=incident, user=alice).exists()
        # The chaos tool was told to start the fault, signed like webhook pages.
        start = chaos.requests[0]
        assert start.path == "/start" and start.json()["type"] == "drill.fault_start"
        expected = (
            "sha256="
            + hmac.new(drill.fault_secret.encode(), start.body, hashlib.sha256).hexdigest()
        )
        assert start.headers["x-tocsin-signature"] == expected
        # Slack: the incident channel's posts say DRILL.
        posts = [c.params["text"] for c in slack.of("chat.postMessage")]
        assert posts and all(text.startswith("[DRILL] ") for text in posts)
        # Auto-publish skipped it: nothing public.
        assert not incident.updates.exists()

        # The responders: acknowledge after 3 minutes, open the runbook from the incident.
        clock.shift(timedelta(minutes=3))
        with committing():
            incident_services.incident_acknowledge(incident=incident, actor=alice)
        client.force_login(alice)
        response = client.get(f"/runbooks/{world['runbook'].pk}/?incident={incident.pk}")
        assert response.status_code == 200
        client.get(f"/runbooks/{world['runbook'].pk}/?incident={incident.pk}")  # once only
        opened = TimelineEvent.objects.filter(incident=incident, data__event="runbook_opened")
        assert opened.count() == 1

        # A public update 20 minutes in (the SEV2 target is 5): late, and never public.
        clock.shift(timedelta(minutes=17))
        with committing():
            status_update_post(
                incident=incident,
                actor=alice,
                message="Failing over to the replica.",
                audience=UpdateAudience.PUBLIC,
            )
        _send_outbox(committing)
        stakeholder = [c for rcpts, c in smtp.messages if "board@example.com" in rcpts]
        assert stakeholder and "Subject: [DRILL] [PAY-" in stakeholder[0]
        page_state = status_selectors.status_page()
        assert page_state["incidents"] == []
        assert status_selectors.status_feed_items() == []

        # A real incident of the same hour, for comparison, counts.
        real = incident_services.incident_create(
            actor=manager, team=team, title="Real outage", severity=incident.severity
        )

        clock.shift(timedelta(minutes=40))
        with committing():
            incident_services.incident_resolve(incident=incident, actor=alice)
            assert tasks.complete_finished() == 1
            assert tasks.complete_finished() == 0
        _send_outbox(committing)
        stop = [r for r in chaos.requests if r.path == "/stop"]
        assert len(stop) == 1 and stop[0].json()["type"] == "drill.fault_stop"

    drill.refresh_from_db()
    assert drill.status == DrillStatus.COMPLETED
    report = selectors.drill_report(drill=drill)
    by_key = {m.key: m for m in report.measures}
    assert by_key[scoring.ACKNOWLEDGE].actual == timedelta(minutes=3)
    assert by_key[scoring.ACKNOWLEDGE].met is True
    assert by_key[scoring.RUNBOOK].met is True
    assert by_key[scoring.FIRST_UPDATE].actual == timedelta(minutes=20)
    assert by_key[scoring.FIRST_UPDATE].met is False
    assert by_key[scoring.RESOLVE].actual == timedelta(hours=1)
    assert by_key[scoring.RESOLVE].met is True
    finding = DrillFinding.objects.get(drill=drill)
    assert finding.measure == scoring.FIRST_UPDATE
    assert finding.title == "Time to the first update missed the target"
    # SEV2 requires a postmortem, but a drill only gets one when it asks.
    assert not Postmortem.objects.filter(incident=incident).exists()

    # The metrics see only the real incident, and no drill page in anyone's load.
    scope = MetricsScope(
        team_ids=[team.pk],
        since=timezone.now() - timedelta(days=1),
        until=timezone.now() + timedelta(minutes=1),
        severity=None,
        now=timezone.now(),
    )
    metrics = incident_metrics(scope)
    assert metrics["incident_count"] == 1
    # alice was paged once for each; only the real page is load.
    assert Page.objects.filter(incident=real, user=alice).exists()
    assert pages_per_engineer_per_week(scope)["max"] == 1

    # The manager turns the finding into an action item of the drill's incident.
    item = services.drill_finding_promote(
        actor=manager,
        finding=finding,
        owner=alice,
        priority="P2",
        due_date=timezone.localdate() + timedelta(days=14),
    )
    assert item.incident == incident and item.owner == alice
    finding.refresh_from_db()
    assert finding.action_item == item
    markdown = drill_report_markdown(selectors.drill_report(drill=drill))
    assert "# Drill report: Checkout database fails over" in markdown
    assert "| Time to the first update | 5 min | 20 min | **missed** |" in markdown
    assert f"action item #{item.pk}" in markdown
