"""Integration: a real Celery worker (subprocess, tests/harness/workers.py) on Redis
delivers a page to a local HTTP webhook receiver. Needs PostgreSQL (the worker shares the
test database) and Redis on 127.0.0.1:6379 (.ci/run starts it)."""

import hashlib
import hmac
import time

import pytest

from incidents.paging.models import Page, PageStatus
from oncall.contacts.models import ContactMethod
from tests.harness.receivers import HttpReceiver
from tests.incidents.factories import IncidentFactory
from tests.oncall.factories import make_policy

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_real_worker_delivers_a_page_to_a_webhook(worker, severities, team, alice):
    process, log_path = worker
    make_policy(team, [(5, [alice])])
    with HttpReceiver() as sink:
        ContactMethod.objects.create(
            user=alice, kind="webhook", address=sink.url + "/page", secret="worker-secret"
        )
        incident = IncidentFactory(team=team, severity="SEV1")  # commits: tasks go to Redis
        arrived = sink.arrived.wait(timeout=90)
        assert arrived, f"no page arrived; worker log:\n{log_path.read_text()[-3000:]}"
        assert process.poll() is None
    request = sink.requests[0]
    expected = "sha256=" + hmac.new(b"worker-secret", request.body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(request.headers["x-tocsin-signature"], expected)
    assert request.json()["incidents"][0]["reference"] == incident.reference
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        page = Page.objects.get(incident=incident)
        if page.status == PageStatus.SENT:
            break
        time.sleep(0.2)
    assert page.status == PageStatus.SENT and page.attempts == 1
