"""Real answers conform to the OpenAPI schema the API publishes: bare arrays where the
schema says so (not a paginated object), nullable fields typed nullable, and every field
a response carries documented. The schema is OpenAPI 3.0; its ``nullable`` is turned into
JSON Schema's ``null`` type and each answer is validated with jsonschema."""

from datetime import UTC, date, datetime, time

import jsonschema
import pytest
import time_machine
from openapi_spec_validator import validate

from tests.oncall.factories import make_schedule
from tests.postmortems.factories import ActionItemFactory, postmortem_for

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def _json_schema(node):
    """OpenAPI 3.0 → JSON Schema: ``nullable: true`` becomes a ``null`` alternative; refs
    point into the document's components."""
    if isinstance(node, list):
        return [_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    # oneOf → anyOf: jsonschema does not check "uri" formats, so '' would match both of
    # drf-spectacular's {uri} | {maxLength 0} alternatives.
    converted = {
        ("anyOf" if k == "oneOf" else k): _json_schema(v)
        for k, v in node.items()
        if k != "nullable"
    }
    if node.get("type") == "object" and "properties" in node:
        converted.setdefault("additionalProperties", False)  # every field is documented
    if node.get("nullable"):
        return {"anyOf": [converted, {"type": "null"}]}
    return converted


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    from drf_spectacular.generators import SchemaGenerator

    with django_db_blocker.unblock():
        return SchemaGenerator().get_schema(request=None, public=True)


def conforms(schema, path, method, status, body):
    operation = schema["paths"][path][method]
    declared = operation["responses"][str(status)]["content"]["application/json"]["schema"]
    document = {**_json_schema({"components": schema["components"]}), **_json_schema(declared)}
    jsonschema.validate(body, document)


def test_schedule_reads_answer_what_the_schema_says(api, schema, team, member, alice, bob):
    schedule = make_schedule(
        team,
        [
            {
                "users": [alice, bob],
                "rotation": "daily",
                "handoff_time": time(9),
                "start": date(2026, 3, 2),
            }
        ],
    )
    client = api.as_user(member)
    with time_machine.travel(T0, tick=False):
        detail = client.get(f"/api/v1/schedules/{schedule.pk}/").json()
        shifts = client.get(
            f"/api/v1/schedules/{schedule.pk}/shifts/",
            {"start": "2026-03-02T00:00:00Z", "end": "2026-03-05T00:00:00Z"},
        ).json()
        overrides = client.get(f"/api/v1/schedules/{schedule.pk}/overrides/").json()
        members = client.get(f"/api/v1/teams/{team.pk}/members/").json()
    assert isinstance(shifts, list) and isinstance(overrides, list) and isinstance(members, list)
    assert "gaps" in detail
    conforms(schema, "/api/v1/schedules/{id}/", "get", 200, detail)
    conforms(schema, "/api/v1/schedules/{id}/shifts/", "get", 200, shifts)
    conforms(schema, "/api/v1/schedules/{id}/overrides/", "get", 200, overrides)
    conforms(schema, "/api/v1/teams/{id}/members/", "get", 200, members)
    gaps = schema["components"]["schemas"]["ScheduleDetailOutput"]["properties"]
    assert "gaps" in gaps


def test_null_dates_of_action_items_and_postmortems_are_typed_nullable(api, schema, team, member):
    postmortem = postmortem_for(team=team, actor=member)
    item = ActionItemFactory(actor=member, postmortem=postmortem, owner=member)
    client = api.as_user(member)
    body = client.get(f"/api/v1/action-items/{item.pk}/").json()
    assert body["sla_breached_at"] is None
    conforms(schema, "/api/v1/action-items/{id}/", "get", 200, body)
    postmortem = client.get(f"/api/v1/postmortems/{item.postmortem_id}/").json()
    assert postmortem["completed_at"] is None
    conforms(schema, "/api/v1/postmortems/{id}/", "get", 200, postmortem)


def test_on_call_load_says_team_is_required(schema):
    parameters = schema["paths"]["/api/v1/oncall/load/"]["get"]["parameters"]
    assert {p["name"]: p.get("required", False) for p in parameters}["team"] is True


def test_the_published_schema_is_valid_openapi(client):
    response = client.get("/api/schema/?format=json")
    assert response.status_code == 200
    validate(response.json())  # raises, naming the first problem, if the schema is invalid
