import pytest
from django.db import connection

# Helper modules whose asserts pytest rewrites, so that their failures say what differed
# (registered before the modules are first imported).
pytest.register_assert_rewrite("tests.harness", "tests.oncall.schedules.rotation_cases")

# The shared harness (tests/harness): clock, teams and people, clients, tasks and commits,
# incidents (declare, sweep), receivers on 127.0.0.1.
pytest_plugins = [
    "tests.harness.clock",
    "tests.harness.people",
    "tests.harness.clients",
    "tests.harness.tasks",
    "tests.harness.incidents",
    "tests.harness.receivers",
    "tests.harness.workers",
]


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
def is_postgres():
    return connection.vendor == "postgresql"


@pytest.fixture
def fresh_drawings():
    """The flowcharts' in-process drawing cache, empty before and after the test."""
    from common.graphs import svg_cache_clear

    svg_cache_clear()
    yield
    svg_cache_clear()
