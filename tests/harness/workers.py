"""Real Celery workers in subprocesses on Redis (database 3 unless TOCSIN_TEST_BROKER_URL
says otherwise), sharing the test's PostgreSQL database. Needs Redis on 127.0.0.1:6379
(.ci/run starts it); the tests using them are PostgreSQL-only (the worker and the test
must see one database)."""

import os
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.db import connection

from tests.harness.tasks import tasks_published_to

BROKER = os.environ.get("TOCSIN_TEST_BROKER_URL", "redis://127.0.0.1:6379/3")
ROOT = Path(__file__).resolve().parents[2]  # the project: tests/harness/ is two down


@pytest.fixture
def redis_broker():
    """Tasks the test process sends go to Redis (emptied before and after)."""
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


def _database_url() -> str:
    settings = connection.settings_dict
    return (
        f"postgres://{settings['USER']}:{settings['PASSWORD'] or ''}@{settings['HOST']}:"
        f"{settings['PORT'] or 5432}/{settings['NAME']}"
    )


def worker_start(log_path: Path, *, beat: bool = False, **env: str) -> subprocess.Popen:
    """A solo worker reading every queue (alerts and the rest, paging, outbox), optionally
    with beat;
    ``env`` adds settings (e.g. OUTBOX_LEASE_SECONDS)."""
    full_env = {
        **os.environ,
        "CELERY_BROKER_URL": BROKER,
        "DATABASE_URL": _database_url(),
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "TOCSIN_VAR_DIR": str(log_path.parent),
        "PYTHONPATH": str(ROOT),
        # Receivers are local servers.
        "OUTBOUND_ALLOW_PRIVATE_NETWORKS": "1",
        **env,
    }
    command = [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo"]
    command += ["-Q", "celery,paging,outbox", "--loglevel=INFO", "--without-gossip"]
    command += ["--without-mingle", "--without-heartbeat", "-n", f"{log_path.stem}@%h"]
    if beat:
        command += ["--beat", f"--schedule={log_path.parent / 'beat-schedule'}"]
    log = open(log_path, "w")  # noqa: SIM115 - the process owns it until it exits
    return subprocess.Popen(  # noqa: S603 - our own command line
        command, cwd=ROOT, env=full_env, stdout=log, stderr=subprocess.STDOUT
    )


def worker_stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextmanager
def running_worker(log_path: Path, **kwargs):
    process = worker_start(log_path, **kwargs)
    try:
        yield process
    finally:
        worker_stop(process)


@pytest.fixture
def worker(redis_broker, tmp_path):
    """(process, log path) of a running worker."""
    log_path = tmp_path / "worker.log"
    with running_worker(log_path) as process:
        yield process, log_path
