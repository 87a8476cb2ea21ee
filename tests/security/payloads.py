"""Schema-valid request bodies made from the OpenAPI document, so that a write reaches the
service (and its permission check) instead of stopping at input validation."""

from __future__ import annotations

from typing import Any

_STRING_FORMATS = {
    "email": "matrix@example.com",
    "date-time": "2026-01-05T10:00:00Z",
    "date": "2026-01-05",
    "uri": "https://example.com/x",
    "uuid": "00000000-0000-0000-0000-000000000001",
    "decimal": "1",
}


def _resolve(schema: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = components[schema["$ref"].rsplit("/", 1)[1]]
    return schema


def example(  # noqa: PLR0911, PLR0912 - one branch per JSON schema type
    schema: dict[str, Any], components: dict[str, Any], depth: int = 0
) -> Any:
    schema = _resolve(schema, components)
    if depth > 6:
        return None
    for combinator in ("anyOf", "oneOf"):
        if combinator in schema:
            options = [o for o in schema[combinator] if o.get("type") != "null"]
            return example(options[0], components, depth + 1) if options else None
    if "allOf" in schema:
        return example(schema["allOf"][0], components, depth + 1)
    if "enum" in schema:
        return schema["enum"][0]
    if "const" in schema:
        return schema["const"]
    if "default" in schema and schema["default"] is not None:
        return schema["default"]
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        props = schema.get("properties", {})
        return {
            name: example(props[name], components, depth + 1)
            for name in schema.get("required", [])
            if name in props
        }
    if kind == "array":
        return []
    if kind == "integer":
        return max(1, int(schema.get("minimum", 1)))
    if kind == "number":
        return max(1, schema.get("minimum", 1))
    if kind == "boolean":
        return False
    if kind == "string":
        fmt = schema.get("format", "")
        if fmt in _STRING_FORMATS:
            return _STRING_FORMATS[fmt]
        return "x" * max(1, int(schema.get("minLength", 1)))
    return None


def request_body(operation: dict[str, Any], components: dict[str, Any]) -> Any:
    content = operation.get("requestBody", {}).get("content", {})
    if "application/json" in content:
        return example(content["application/json"]["schema"], components)
    return None
