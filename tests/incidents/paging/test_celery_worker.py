"""Integration: a real Celery worker (subprocess) on Redis database 3 delivers a page to a
local HTTP webhook receiver. Needs PostgreSQL (the worker shares the test database) and Redis
on 127.0.0.1:6379 (.ci/run starts it)."""

import hashlib
import hmac
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

from incidents.paging.models import Page, PageStatus
from oncall.contacts.models import ContactMethod
from tests.harness.receivers import HttpReceiver
from tests.harness.tasks import tasks_published_to
from tests.incidents.factories import IncidentFactory
from tests.oncall.factories import make_policy

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


BROKER = os.environ.get("TOCSIN_TEST_BROKER_URL", "redis://127.0.0.1:6379/3")


ROOT = Path(__file__).resolve().parents[3]  # the project: tests/incidents/paging/ is three down


@pytest.fixture
def redis_broker():
    redis = pytest.importorskip("redis")
    client = redis.Redis.from_url(BROKER)
    try:
        client.ping()
    except redis.RedisError:
        pytest.skip(f"Redis is not running at {BROKER}")
    client.flushdb()  # our own database number: leftovers of an earlier run
    with tasks_published_to(BROKER):
        yield
    client.flushdb()


@pytest.fixture
def worker(redis_broker, tmp_path):
    settings = connection.settings_dict
    database_url = (
        f"postgres://{settings['USER']}:{settings['PASSWORD'] or ''}@{settings['HOST']}:"
        f"{settings['PORT'] or 5432}/{settings['NAME']}"
    )
    env = {
        **os.environ,
        "CELERY_BROKER_URL": BROKER,
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "TOCSIN_VAR_DIR": str(tmp_path),
        "PYTHONPATH": str(ROOT),
        # The webhook receiver is a local server.
        "OUTBOUND_ALLOW_PRIVATE_NETWORKS": "1",
    }
    log = open(tmp_path / "worker.log", "w")  # noqa: SIM115 - closed below
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool=solo",
            "--loglevel=INFO",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    yield process, tmp_path / "worker.log"
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    log.close()


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
