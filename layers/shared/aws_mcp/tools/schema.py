"""JSON Schema for tool inputs and outputs, shaped for language models.

pydantic emits ``$defs``/``$ref`` for nested models and enums and a ``title``
on every property. Several MCP clients resolve ``$ref`` poorly and every
title costs the model tokens, so we inline local references (our models are
not recursive) and drop pydantic's generated titles. Descriptions stay.

Every ``tools/list`` lands with the agent's client (its input schemas in the model's context,
within 25,000 tokens for all tools), so an output schema says only the result's top-level fields
and the JSON type of each: no nested properties (a list's item fields are named once,
in its ``fields`` argument, and a result is self-describing JSON), no ``null`` (results
leave out what is unknown rather than say null: see ``paging.fit``), no ``default``s,
descriptions or ``required`` lists. It is still a schema every result conforms to.
"""

from __future__ import annotations

from typing import Any, Final, Literal

from pydantic import BaseModel

__all__ = ["model_schema"]


def model_schema(model: type[BaseModel], mode: Literal["validation", "serialization"]) -> dict[str, Any]:
    """Inputs use the validation schema, outputs the serialization schema."""
    raw = model.model_json_schema(mode=mode)
    definitions = raw.pop("$defs", {})
    schema = _inline(raw, definitions, depth=0)
    assert isinstance(schema, dict)
    schema.setdefault("type", "object")
    if mode == "validation":
        _drop_optional_nulls(schema)
        return schema
    return {
        "type": "object",
        "properties": {name: _json_type(sub) for name, sub in schema["properties"].items()},
    }


def _json_type(node: dict[str, Any]) -> dict[str, Any]:
    """A field's JSON type (or types), without ``null``: an unknown value is left out, not null."""
    options = node.get("anyOf", [node])
    types = sorted({t for o in options for t in _types(o)} - {"null"}, key=_ORDER.index)
    if not types:
        return {}
    return {"type": types[0] if len(types) == 1 else types}


_ORDER: Final = ("object", "array", "string", "integer", "number", "boolean", "null")


def _types(node: dict[str, Any]) -> list[str]:
    declared = node.get("type")
    if isinstance(declared, str):
        return [declared]
    if isinstance(declared, list):
        return declared
    if "enum" in node or "const" in node:
        return ["string"]
    return []


def _drop_optional_nulls(schema: dict[str, Any]) -> None:
    """``x: T | None = None`` reads as "T, optional" to a model; say just that.

    Outputs keep their ``null`` branches: structuredContent carries nulls and must conform.
    """
    required = set(schema.get("required", ()))
    for name, prop in schema.get("properties", {}).items():
        # A nested model's optional fields read the same way (a list of them: its items').
        for nested in (prop, prop.get("items"), *prop.get("anyOf", ())):
            if isinstance(nested, dict) and "properties" in nested:
                _drop_optional_nulls(nested)
        options = prop.get("anyOf")
        if name in required or prop.get("default", ...) is not None or not isinstance(options, list):
            continue
        kept = [o for o in options if o != {"type": "null"}]
        if len(kept) == 1 and len(kept) < len(options):
            del prop["anyOf"], prop["default"]
            prop.update({**kept[0], **prop})


def _inline(node: Any, definitions: dict[str, Any], depth: int) -> Any:
    if depth > 32:
        raise ValueError("tool schemas must not be recursive")
    if isinstance(node, list):
        return [_inline(item, definitions, depth) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        target = definitions[node["$ref"].rsplit("/", 1)[-1]]
        merged = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
        return _inline(merged, definitions, depth + 1)
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "title" and isinstance(value, str):
            continue
        if key == "const" and "enum" not in node:
            # pydantic's one-value Literal; said as the enum its siblings of more values are.
            out["enum"] = [value]
            continue
        if key == "properties" and isinstance(value, dict):
            out[key] = {name: _inline(sub, definitions, depth) for name, sub in value.items()}
        else:
            out[key] = _inline(value, definitions, depth)
    return out
