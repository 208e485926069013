import pytest
from django.db import connection
from rest_framework.test import APIClient

from tests.incidents.factories import IncidentFactory, ServiceFactory
from tests.oncall.factories import TeamFactory, TeamMembershipFactory, UserFactory


def pytest_collection_modifyitems(config, items):
    from django.conf import settings

    for item in items:
        # A transactional test empties every table when it ends, including the rows that
        # data migrations put there (the severity matrix); restoring them keeps the tests
        # that run after it independent of the order.
        marker = item.get_closest_marker("django_db")
        if (
            marker
            and marker.kwargs.get("transaction")
            and "serialized_rollback" not in (marker.kwargs)
        ):
            item.add_marker(
                pytest.mark.django_db(**marker.kwargs, serialized_rollback=True), append=False
            )

    if "postgresql" in settings.DATABASES["default"]["ENGINE"]:
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL=postgres://...)")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def api():
    """An API client; ``api.as_user(user)`` authenticates with the user's token."""
    from rest_framework.authtoken.models import Token

    client = APIClient()

    def as_user(user):
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client

    client.as_user = as_user
    return client


@pytest.fixture
def team(db):
    return TeamFactory(name="Payments", key="PAY", slug="payments")


@pytest.fixture
def other_team(db):
    return TeamFactory(name="Mobile", key="MOB", slug="mobile")


@pytest.fixture
def member(team):
    user = UserFactory(username="marco")
    TeamMembershipFactory(team=team, user=user, role="member")
    return user


@pytest.fixture
def manager(team):
    user = UserFactory(username="priya")
    TeamMembershipFactory(team=team, user=user, role="manager")
    return user


@pytest.fixture
def outsider(other_team):
    """A member of another team."""
    user = UserFactory(username="olivia")
    TeamMembershipFactory(team=other_team, user=user, role="manager")
    return user


@pytest.fixture
def staff(db):
    return UserFactory(username="admin", is_staff=True, is_superuser=True)


@pytest.fixture
def service(team):
    return ServiceFactory(team=team, name="Checkout API", slug="checkout-api")


@pytest.fixture
def incident(team, member):
    return IncidentFactory(team=team, actor=member)


@pytest.fixture
def is_postgres():
    return connection.vendor == "postgresql"


@pytest.fixture
def eager_celery():
    """Celery tasks run inline (ETAs ignored: the engine must cope with early tasks)."""
    from config.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield app
    app.conf.task_always_eager = previous


@pytest.fixture
def committing(django_capture_on_commit_callbacks, eager_celery):
    """``with committing(): ...`` runs on_commit callbacks (deliveries, next-step tasks) as a
    real commit would, with eager Celery."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture(autouse=True)
def _no_internet(settings):
    """Outside services default to their real addresses; a test that forgets to point
    one at its local receiver must fail on a refused local connection, never reach the
    internet."""
    settings.SLACK_API_URL = "http://127.0.0.1:9/api/"
    settings.PAGERDUTY_EVENTS_URL = "http://127.0.0.1:9"
    # Receivers in tests are local servers; tests/oncall/test_outbound_guard.py turns the
    # guard back on.
    settings.OUTBOUND_ALLOW_PRIVATE_NETWORKS = True
