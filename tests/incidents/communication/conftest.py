import pytest

from tests.incidents.communication import slack_receiver


@pytest.fixture(autouse=True)
def eager_celery():
    """Tasks run in-process (after commit, through django_capture_on_commit_callbacks)."""
    from config.celery import app

    before = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = before


def _slack(settings, fail: bool):
    receiver = slack_receiver.SlackReceiver(fail=fail)
    server = slack_receiver.start(receiver)
    settings.SLACK_API_URL = receiver.url
    settings.SLACK_BOT_TOKEN = "xoxb-test-token"
    settings.SLACK_MAX_RETRIES = 2
    return receiver, server


@pytest.fixture
def slack(settings):
    receiver, server = _slack(settings, fail=False)
    yield receiver
    server.shutdown()
    server.server_close()


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
def failing_slack(settings, eager_retries):
    receiver, server = _slack(settings, fail=True)
    yield receiver
    server.shutdown()
    server.server_close()
