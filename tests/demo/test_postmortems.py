"""seed_demo's postmortems (demo/postmortems.py): the older ones published through the
services, the recent ones still open, action items in every state; the SLA beat that
runs next warns about the open ones only; a second run changes nothing."""

import os
from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from demo.postmortems import postmortems_demo_seed
from outbox.services import outbox_send_due
from postmortems import selectors, services
from postmortems.models import ActionItem, Postmortem


@pytest.mark.django_db
def test_demo_postmortems_are_realistic_and_the_first_beat_mails_only_the_open_ones():
    call_command("seed_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115
    now = timezone.now()
    postmortems = list(
        Postmortem.objects.select_related("incident").order_by("-incident__resolved_at")
    )
    assert postmortems
    open_ids = set()
    for team_id in {p.incident.team_id for p in postmortems}:
        ours = [p for p in postmortems if p.incident.team_id == team_id]
        unpublished = [p for p in ours if not p.is_published]
        assert ours[0].status == "draft"  # the latest is still being written
        assert 1 <= len(unpublished) <= 2
        assert all(p in ours[:2] for p in unpublished)  # only the most recent ones
        published = [p for p in ours if p.is_published]
        late = [p for p in published if p.published_at > p.due_at]
        assert len(late) == 1 and len(published) >= 3
        assert all(p.approved_by is not None for p in published)
        open_ids |= {p.pk for p in unpublished}

    items = ActionItem.objects.all()
    assert set(items.values_list("status", flat=True)) == {
        "open",
        "in_progress",
        "done",
        "wont_do",
    }
    assert items.filter(selectors.overdue_q(timezone.localdate(now))).exists()
    done = list(items.filter(status="done"))
    assert any(timezone.localdate(i.completed_at) <= i.due_date for i in done)
    assert any(timezone.localdate(i.completed_at) > i.due_date for i in done)
    rates = selectors.completion_rates(teams=None, since=now - timedelta(days=120), until=now)
    assert 0.5 < rates["postmortems"].value < 1
    assert 0 < rates["action_items"].value < 1

    # A second run changes nothing.
    counts = (
        Postmortem.history.count(),
        ActionItem.history.count(),
        Postmortem.objects.filter(status="published").count(),
    )
    assert postmortems_demo_seed()["published"] == 0
    assert counts == (
        Postmortem.history.count(),
        ActionItem.history.count(),
        Postmortem.objects.filter(status="published").count(),
    )

    # The first SLA beat marks and mails about the postmortems still open, not all.
    mail.outbox.clear()
    result = services.postmortem_enforce_sla()
    breached = set(Postmortem.objects.exclude(sla_breached_at=None).values_list("pk", flat=True))
    assert breached <= open_ids
    assert result["breached"] == len(breached) <= len(open_ids)
    references = {p.incident.reference for p in postmortems if p.pk in open_ids}
    mail.outbox.clear()  # the demo's own messages (pages, reminders) go out too
    outbox_send_due(limit=10_000)
    postmortem_mails = [
        m
        for m in mail.outbox
        if m.subject.startswith(("[Tocsin] Postmortem overdue", "[Tocsin] Escalation"))
    ]
    assert postmortem_mails and all(
        any(ref in message.subject for ref in references) for message in postmortem_mails
    )
