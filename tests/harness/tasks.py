"""Celery tasks run in-process (or published to a broker), and commits that run what they
start."""

from contextlib import contextmanager

import pytest


@pytest.fixture
def eager_celery():
    """Celery tasks run inline (ETAs ignored: the engine must cope with early tasks)."""
    from config.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield app
    app.conf.task_always_eager = previous


@pytest.fixture
def eager_retries():
    """Let eager tasks retry: with task_eager_propagates Celery raises Retry out of
    apply() instead of running the retry, so retrying tests switch propagation off (and
    assert on outcomes)."""
    from config.celery import app

    before = app.conf.task_eager_propagates
    app.conf.task_eager_propagates = False
    yield
    app.conf.task_eager_propagates = before


@pytest.fixture
def committing(django_capture_on_commit_callbacks, eager_celery):
    """``with committing(): ...`` runs on_commit callbacks (deliveries, next-step tasks) as a
    real commit would, with eager Celery."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@contextmanager
def tasks_published_to(broker_url: str):
    """Celery publishes tasks to ``broker_url`` instead of running them inline (a worker
    reading it runs them; ``memory://`` is read by nobody: every task is lost)."""
    from config.celery import app

    saved = app.conf.broker_url, app.conf.task_always_eager
    app.conf.broker_url, app.conf.task_always_eager = broker_url, False
    app._pool = None  # connections to the old broker are not reused
    app.amqp._producer_pool = None
    try:
        yield app
    finally:
        app.conf.broker_url, app.conf.task_always_eager = saved
        app._pool = None
        app.amqp._producer_pool = None
