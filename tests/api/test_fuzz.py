"""Schemathesis over the whole published schema, as a member and as a manager."""

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from schemathesis import checks

from config.wsgi import application
from tests.oncall.factories import TeamFactory, member_of

pytestmark = pytest.mark.django_db


schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)


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
@settings(
    max_examples=5,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
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
