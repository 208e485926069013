"""Every string a client may send has a length limit the schema shows (``maxLength``), so
a text field added without one fails here. Strings a format or an enum already bound
(dates, times, uuids, decimals, choices) need none."""

import pytest

# Formats whose values have a bounded length by their grammar.
BOUNDED_FORMATS = {"date-time", "date", "time", "uuid", "duration", "decimal", "binary"}


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    from drf_spectacular.generators import SchemaGenerator

    with django_db_blocker.unblock():
        return SchemaGenerator().get_schema(request=None, public=True)


def _unbounded_strings(schema) -> set[str]:
    components = schema["components"]["schemas"]
    found: set[str] = set()

    def walk(node: dict, where: str, seen: frozenset[str]) -> None:
        if "$ref" in node:
            name = node["$ref"].rsplit("/", 1)[-1]
            if name in seen:
                return
            walk(components[name], name, seen | {name})
            return
        for key in ("allOf", "oneOf", "anyOf"):
            for sub in node.get(key, []):
                walk(sub, where, seen)
        kind = node.get("type")
        if kind == "object" or "properties" in node:
            for name, sub in (node.get("properties") or {}).items():
                if not sub.get("readOnly"):
                    walk(sub, f"{where}.{name}", seen)
            extra = node.get("additionalProperties")
            if isinstance(extra, dict):
                walk(extra, f"{where}.*", seen)
        elif kind == "array":
            walk(node.get("items") or {}, f"{where}[]", seen)
        elif kind == "string":
            if "enum" in node or "maxLength" in node or node.get("format") in BOUNDED_FORMATS:
                return
            found.add(where)

    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            body = operation.get("requestBody") if isinstance(operation, dict) else None
            for content in (body or {}).get("content", {}).values():
                if "schema" in content:
                    walk(content["schema"], f"{method.upper()} {path}", frozenset())
    return found


def test_every_string_in_a_request_body_has_a_max_length(schema):
    unbounded = _unbounded_strings(schema)
    assert not unbounded, (
        "Request-body strings without maxLength (give the serializer field a max_length; "
        "see common/limits.py for the lengths by meaning):\n" + "\n".join(sorted(unbounded))
    )


def test_the_walk_finds_an_unbounded_string():
    # The check itself: a body with a bare string is reported, bounded ones are not.
    schema = {
        "paths": {"/x/": {"post": {"requestBody": {"content": {"application/json": {
            "schema": {"$ref": "#/components/schemas/X"}}}}}}},
        "components": {"schemas": {"X": {"type": "object", "properties": {
            "free": {"type": "string"},
            "named": {"type": "string", "maxLength": 255},
            "when": {"type": "string", "format": "date-time"},
            "kind": {"type": "string", "enum": ["a", "b"]},
            "out": {"type": "string", "readOnly": True},
            "tags": {"type": "array", "items": {"type": "string"}},
        }}}},
    }  # fmt: skip
    assert _unbounded_strings(schema) == {"X.free", "X.tags[]"}


def test_big_free_text_fields_show_their_limits(schema):
    components = schema["components"]["schemas"]
    assert components["RunbookInputRequest"]["properties"]["body"]["maxLength"] == 200_000
    postmortem = components["PatchedPostmortemUpdateInputRequest"]["properties"]
    assert postmortem["root_cause"]["maxLength"] == 50_000
    assert components["TeamCreateInputRequest"]["properties"]["description"]["maxLength"] == 2_000
    assert components["IncidentCreateInputRequest"]["properties"]["severity"]["maxLength"] == 10
