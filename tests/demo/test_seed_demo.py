"""manage.py seed_demo: every severity and status, idempotent, paging set up, and a
replayed history whose timestamps are the moments it stands for."""

import io
import os
from datetime import timedelta

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone

from incidents.models import Incident, IncidentStatus, TimelineEvent
from oncall.teams.models import Team


@pytest.mark.django_db
def test_seed_demo_is_idempotent_and_covers_every_severity_and_status():
    from postmortems.models import ActionItem, Postmortem

    def counts():
        return (
            Team.objects.count(),
            Incident.objects.count(),
            TimelineEvent.objects.count(),
            Postmortem.history.count(),
            ActionItem.history.count(),
        )

    call_command("seed_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115
    first = counts()
    output = io.StringIO()
    call_command("seed_demo", stdout=output)
    assert counts() == first
    assert "Sign in at /admin/ as admin" in output.getvalue()
    assert "password: tocsin-demo" in output.getvalue()
    assert first[0] == 3
    pairs = set(Incident.objects.values_list("severity__name", "status"))
    assert {s for s, _ in pairs} == {"SEV1", "SEV2", "SEV3", "SEV4"}
    assert {st for _, st in pairs} == set(IncidentStatus.values)
    resolved = Incident.objects.filter(status="resolved")
    assert all(
        i.acknowledged_at and i.triggered_at <= i.acknowledged_at <= i.resolved_at for i in resolved
    )
    # The demo pages somebody: every team has a schedule and a default policy, and each
    # still-triggered incident is escalating with pages waiting for the worker.
    from incidents.paging.models import EscalationState, IncidentEscalation, Page, PageStatus
    from oncall.policies.models import EscalationPolicy
    from oncall.schedules.models import Schedule

    assert (Schedule.objects.count(), EscalationPolicy.objects.count()) == (3, 3)
    assert not Team.objects.filter(escalation_policy__isnull=True).exists()
    triggered = Incident.objects.filter(status="triggered")
    assert triggered.count() == 6
    assert (
        IncidentEscalation.objects.filter(
            incident__in=triggered, state=EscalationState.ACTIVE
        ).count()
        == 6
    )
    assert set(
        Page.objects.filter(incident__in=triggered).values_list("incident", flat=True)
    ) == set(triggered.values_list("pk", flat=True))
    assert (
        not Page.objects.exclude(incident__in=triggered)
        .exclude(status=PageStatus.CANCELLED)
        .exists()
    )


@pytest.mark.django_db
def test_seed_demo_history_carries_the_moments_it_replays():
    from incidents.paging.models import IncidentEscalation, Page
    from postmortems.models import ActionItem, Postmortem

    call_command("seed_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115
    now = timezone.now()
    incidents = list(Incident.objects.all())
    # Spread over the last 90 days, none in the future.
    assert min(i.triggered_at for i in incidents) < now - timedelta(days=30)
    assert max(TimelineEvent.objects.values_list("created_at", flat=True)) <= now
    for incident in incidents:
        events = list(incident.timeline.order_by("id"))
        history = list(incident.history.order_by("history_id"))
        assert events[0].kind == "declared" and events[0].created_at == incident.triggered_at
        assert history[0].history_date == history[0].triggered_at == incident.triggered_at
        assert [e.created_at for e in events] == sorted(e.created_at for e in events)
        # Each recorded change is dated when it happened, with the values of that moment.
        assert [h.history_date for h in history] == sorted(h.history_date for h in history)
        assert history[-1].status == incident.status
        assert history[-1].acknowledged_at == incident.acknowledged_at
        escalation = IncidentEscalation.objects.get(incident=incident)
        assert escalation.started_at == incident.triggered_at
        assert set(Page.objects.filter(incident=incident).values_list("created_at", flat=True)) == {
            incident.triggered_at
        }
        if incident.status == IncidentStatus.TRIGGERED:
            # The first rule's delay after the declaration: due, for the worker's sweep.
            assert escalation.next_escalation_at == incident.triggered_at + timedelta(minutes=5)
            continue
        assert escalation.stopped_at == incident.acknowledged_at
        first_move = next(e for e in events if e.kind in ("acknowledged", "status_changed"))
        assert first_move.created_at == incident.acknowledged_at
        if incident.status == IncidentStatus.RESOLVED:
            resolved_event = next(e for e in events if e.kind == "resolved")
            assert resolved_event.created_at == incident.resolved_at
            assert history[-1].history_date == incident.resolved_at

    sla = timedelta(hours=settings.POSTMORTEM_SLA_HOURS)
    postmortems = list(Postmortem.objects.select_related("incident"))
    assert postmortems
    for postmortem in postmortems:
        resolved_at = postmortem.incident.resolved_at
        assert postmortem.created_at == resolved_at
        assert postmortem.due_at == resolved_at + sla
        assert postmortem.history.earliest("history_id").history_date == resolved_at
        for entry in postmortem.timeline_entries.select_related("source_event"):
            assert entry.occurred_at == entry.source_event.created_at
        if postmortem.is_published:
            assert resolved_at < postmortem.submitted_at < postmortem.published_at < now
            published = postmortem.history.filter(status="published").earliest("history_id")
            assert published.history_date == postmortem.published_at
            assert postmortem.follow_up_review_date > timezone.localdate(postmortem.published_at)
    # Every action item comes after its incident resolved (a drill's has no postmortem).
    for item in ActionItem.objects.select_related("incident"):
        assert item.incident.resolved_at < item.created_at < now
        assert item.history.earliest("history_id").history_date == item.created_at
        if item.completed_at is not None:
            done = item.history.filter(status="done").earliest("history_id")
            assert done.history_date == item.completed_at < now
