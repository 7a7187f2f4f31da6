"""A desired state checked against its type's schema, in Cloud Control's words.

jsonschema does the checking; this module only words its first error as Cloud Control's
handlers do ("Model validation failed (#/Path: ...)").
"""

from __future__ import annotations

from typing import Any

from jsonschema import Draft7Validator
from jsonschema.exceptions import ValidationError

from aws_mcp_local.demo.cloudcontrol.types import ResourceType

__all__ = ["problem"]

_JSON_TYPES = {
    "string": "String",
    "integer": "Integer",
    "number": "Number",
    "boolean": "Boolean",
    "object": "JSONObject",
    "array": "JSONArray",
    "null": "Null",
}


def problem(resource_type: ResourceType, desired: Any, *, creating: bool) -> str | None:
    """Why ``desired`` is not a valid model of the type, or None. On create, read-only properties
    are refused too (they are the service's to set)."""
    if not isinstance(desired, dict):
        return "Model validation failed (#: expected type: JSONObject, found: " + _found(desired) + ")"
    if creating and (read_only := sorted(set(desired) & resource_type.read_only)):
        listed = ", ".join(f"/properties/{p}" for p in read_only)
        return f"Model validation failed (#: read-only properties [{listed}] cannot be set)"
    schema = resource_type.schema
    if not creating:
        # A model read back lacks its write-only properties; they are required of a create only.
        required = [p for p in schema.get("required", ()) if p not in resource_type.write_only]
        schema = {**schema, "required": required}
    validator = Draft7Validator(schema)
    # The first error by place, a wrong type before anything else about the same value.
    errors = sorted(
        validator.iter_errors(desired),
        key=lambda e: ([str(p) for p in e.absolute_path], e.validator != "type", str(e.validator)),
    )
    return f"Model validation failed ({_words(errors[0])})" if errors else None


def _found(value: Any) -> str:
    for name, word in _JSON_TYPES.items():
        if Draft7Validator.TYPE_CHECKER.is_type(value, name) and name != "number":
            return word
    return "Number" if isinstance(value, float) else type(value).__name__


def _words(error: ValidationError) -> str:
    path = "#" + "".join(f"/{p}" for p in error.absolute_path)
    if error.validator == "additionalProperties":
        extra = sorted(set(error.instance) - set(error.schema.get("properties", {})))
        return f"{path}: extraneous key [{extra[0] if extra else '?'}] is not permitted"
    if error.validator == "required":
        missing = error.message.split("'")[1] if "'" in error.message else error.message
        return f"{path}: required key [{missing}] not found"
    if error.validator == "type":
        wanted = error.validator_value
        wanted = wanted if isinstance(wanted, str) else "/".join(wanted)
        return f"{path}: expected type: {_JSON_TYPES.get(wanted, wanted)}, found: {_found(error.instance)}"
    if error.validator == "enum":
        return f"{path}: {error.instance!r} is not a valid enum value"
    return f"{path}: {error.message}"
