import pytest


@pytest.fixture(autouse=True)
def eager_celery():
    """Tasks run in-process (after commit, through django_capture_on_commit_callbacks)."""
    from config.celery import app

    before = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = before
