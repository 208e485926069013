"""Mirroring on PostgreSQL with a real concurrent sender: while an event is on its way
to PagerDuty, nothing it belongs to is locked, and the incident can change meanwhile."""

import threading

import pytest
from django.db import connection, transaction

from incidents.mirroring import outbox as mirroring_outbox
from incidents.mirroring.models import MirrorDelivery, MirrorDeliveryStatus
from incidents.mirroring.services import pagerduty_mirror_create
from incidents.services import incident_acknowledge
from outbox.models import Message
from outbox.services import outbox_send_due
from tests.harness.receivers import PagerDutyReceiver
from tests.harness.tasks import tasks_published_to
from tests.incidents.factories import IncidentFactory

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


class HoldingPagerDuty(PagerDutyReceiver):
    """Holds each request until ``release`` is set (``holding`` says one arrived)."""

    def __init__(self) -> None:
        super().__init__()
        self.holding = threading.Event()
        self.release = threading.Event()

    def answer(self, request):
        self.holding.set()
        self.release.wait(15)
        return super().answer(request)


def _send_due() -> None:
    try:
        outbox_send_due()
    finally:
        connection.close()


def test_nothing_is_locked_while_an_event_is_on_its_way_to_pagerduty(team, settings):
    mirroring_outbox.register()
    settings.OUTBOX_SEND_DEADLINE_SECONDS = 20
    pagerduty_mirror_create(actor=None, team=team, routing_key="R" * 32)
    with HoldingPagerDuty() as pd, tasks_published_to("memory://"):
        settings.PAGERDUTY_EVENTS_URL = pd.url
        incident = IncidentFactory(team=team, severity="SEV1")  # its tasks are dropped
        sender = threading.Thread(target=_send_due)
        sender.start()
        try:
            assert pd.holding.wait(10), "the trigger never reached the receiver"
            # The trigger is in flight: its delivery, its message and the incident are free.
            with transaction.atomic():
                MirrorDelivery.objects.select_for_update(nowait=True).get()
                Message.objects.select_for_update(nowait=True).get()
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL lock_timeout = '2s'")
                incident_acknowledge(incident=incident.pk, actor=None)
        finally:
            pd.release.set()
            sender.join(30)
        outbox_send_due()
    assert [b["event_action"] for b in pd.accepted] == ["trigger", "acknowledge"]
    assert list(MirrorDelivery.objects.order_by("pk").values_list("status", flat=True)) == [
        MirrorDeliveryStatus.SENT,
        MirrorDeliveryStatus.SENT,
    ]
