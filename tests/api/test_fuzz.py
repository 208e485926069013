"""Schemathesis over the whole published schema, as a member and as a manager.

Every operation the schema lists gets generated requests (valid and not), each sent as a
team member and as a team manager, in process through the WSGI application. Each answer
must be below 500, have a status code and content type the schema documents for that
operation, and a body that matches the documented schema. Examples are derandomized so a
failure in CI reproduces locally.
"""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from schemathesis import checks

from config.wsgi import application
from tests.oncall.factories import TeamFactory, member_of

pytestmark = pytest.mark.django_db

schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)


@pytest.fixture(autouse=True)
def _keep_the_test_transaction():
    """The WSGI handler closes the database connection around each request, as a server
    should; Django's test client stops it doing so, and so must this in-process caller,
    or the first request would end the test's transaction."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def people(db):
    team = TeamFactory()
    member = member_of(team, "fuzz-member")
    manager = member_of(team, "fuzz-manager", role="manager")
    return {
        "member": Token.objects.create(user=member).key,
        "manager": Token.objects.create(user=manager).key,
    }


@schema.parametrize()
@settings(max_examples=5, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_api(case, people):
    for role in ("member", "manager"):
        response = case.call(headers={"Authorization": f"Token {people[role]}"})
        case.validate_response(
            response,
            checks=[
                checks.not_a_server_error,
                checks.status_code_conformance,
                checks.content_type_conformance,
                checks.response_schema_conformance,
            ],
        )
