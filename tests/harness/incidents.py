"""The Payments team's service and incident, declaring incidents as a person would, and
running the paging beat."""

import pytest

from incidents.paging import tasks
from outbox.services import outbox_send_due
from tests.incidents.factories import IncidentFactory, ServiceFactory


@pytest.fixture
def service(team):
    return ServiceFactory(team=team, name="Checkout API", slug="checkout-api")


@pytest.fixture
def incident(team, member):
    return IncidentFactory(team=team, actor=member)


@pytest.fixture
def declare(request):
    """``declare(team, actor=None, *, severity="SEV1", commit=True, **fields)`` declares an
    incident through ``incidents.services.incident_create`` (``fields``: title, commander,
    services, ...; a numbered title unless given) and, unless ``commit=False``, runs what
    its commit starts (pages, Slack, mirroring) with eager Celery, like ``committing``.
    A module with other defaults overrides this fixture with a ``functools.partial`` of it."""

    def declare_(team, actor=None, *, severity="SEV1", commit=True, **fields):
        if not commit:
            return IncidentFactory(team=team, actor=actor, severity=severity, **fields)
        with request.getfixturevalue("committing")():
            return IncidentFactory(team=team, actor=actor, severity=severity, **fields)

    return declare_


@pytest.fixture
def sweep(committing):
    """``sweep()`` runs the paging beat (``run_due_escalations``) as Celery would and
    commits, then sends every due outbox message (as the outbox's workers would): due
    steps page, queued pages go out. Returns the paging task's result."""

    def sweep_():
        with committing():
            result = tasks.run_due_escalations.delay().get()
        with committing():
            outbox_send_due()
        return result

    return sweep_
