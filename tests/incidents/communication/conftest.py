import pytest


@pytest.fixture(autouse=True)
def eager_celery(eager_celery):
    """Tasks run in-process (after commit, through django_capture_on_commit_callbacks)."""
    return eager_celery
